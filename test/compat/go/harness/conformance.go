package harness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Spec is the Atlas Admin API OpenAPI document that ships inside one SDK module
// (openapi/atlas-api.yaml). It is read from the Go module cache at test time, so the exact
// document the SDK was generated from is the one pushlink is checked against, and nothing of it
// is committed here.
type Spec struct {
	Module string
	File   string
	router routers.Router
}

var (
	specMu sync.Mutex
	specs  = map[string]*Spec{}
)

// LoadSpec finds module in the module cache (`go list -m`, resolved through this module's
// go.mod, so the pinned version) and loads its OpenAPI document, routed at baseURL.
func LoadSpec(t testing.TB, module, baseURL string) *Spec {
	t.Helper()
	specMu.Lock()
	defer specMu.Unlock()
	if spec, ok := specs[module]; ok {
		return spec
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", module, err)
	}
	file := filepath.Join(strings.TrimSpace(string(out)), "openapi", "atlas-api.yaml")
	doc, err := openapi3.NewLoader().LoadFromFile(file)
	if err != nil {
		t.Fatalf("loading %s: %v", file, err)
	}
	patchSchemas(doc)
	// The document's servers are cloud.mongodb.com; route the same paths at the pushlink under test.
	doc.Servers = openapi3.Servers{{URL: baseURL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("routing %s: %v", file, err)
	}
	spec := &Spec{Module: module, File: file, router: router}
	specs[module] = spec
	return spec
}

// Transport wraps an SDK client's transport (after UseDigestAuth / UseOAuthAuth has built it):
// every Atlas API response the SDK receives is first checked against the spec (status, content
// type, headers, body schema), failing t when it does not conform and no Deviation covers it.
// Outside the digest transport, so it sees the answer to the authenticated retry, as the SDK does.
func (s *Spec) Transport(t testing.TB, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &checkedTransport{t: t, spec: s, next: next}
}

type checkedTransport struct {
	t    testing.TB
	spec *Spec
	next http.RoundTripper
}

func (c *checkedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	// The OAuth token endpoint is not part of the Admin API document; only /api/atlas/v2 is.
	if err != nil || !strings.HasPrefix(req.URL.Path, "/api/atlas/") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c.t.Helper()
	if note, problem := c.spec.Check(req, resp.StatusCode, resp.Header, body); problem != "" {
		c.t.Errorf("%s", problem)
	} else {
		c.t.Logf("%s", note)
	}
	return resp, nil
}

var decoderMu sync.Mutex

// registerJSONMediaType lets the validator decode Atlas's versioned media types
// (application/vnd.atlas.YYYY-MM-DD+json), which it does not know by default.
func registerJSONMediaType(contentType string) {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasSuffix(mediaType, "+json") {
		return
	}
	decoderMu.Lock()
	defer decoderMu.Unlock()
	if openapi3filter.RegisteredBodyDecoder(mediaType) == nil {
		openapi3filter.RegisterBodyDecoder(mediaType, openapi3filter.JSONBodyDecoder)
	}
}

// Check validates one live response against the operation the request routes to: problem is ""
// when it conforms (directly or through a declared Deviation, which note then names), else what
// is wrong.
func (s *Spec) Check(req *http.Request, status int, header http.Header, body []byte) (note, problem string) {
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		return "", fmt.Sprintf("conformance (%s): %s %s is not an operation of the spec: %v", s.Module, req.Method, req.URL.Path, err)
	}
	what := fmt.Sprintf("%s %s → %d (%s, %s)", req.Method, route.Path, status, route.Operation.OperationID, s.Module)
	validateAs := status
	deviation := FindDeviation(s.Module, req.Method, route.Path, status)
	if deviation != nil {
		if deviation.EmptyBody {
			if len(body) != 0 {
				return "", fmt.Sprintf("conformance: %s: deviation %q allows only an empty body, got %q", what, deviation.Why, body)
			}
			return "conforms: " + what + ", empty body by deviation: " + deviation.Why, ""
		}
		validateAs = deviation.SpecStatus
	}
	note = "conforms: " + what
	if validateAs != status {
		note += fmt.Sprintf(", body validated as the spec's %d by deviation: %s", validateAs, deviation.Why)
	}
	if ShallowCheck(req.Method, route.Path) {
		return shallowCheck(route.Operation, what, validateAs, header.Get("Content-Type"))
	}
	registerJSONMediaType(header.Get("Content-Type"))
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 validateAs,
		Header:                 header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true, // a status the spec does not list is a failure too
			MultiError:            true,
			AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		},
	}
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		return "", fmt.Sprintf("conformance: %s (validated as %d) does not conform: %v\nbody: %s", what, validateAs, err, body)
	}
	return note, ""
}

// shallowCheck holds an answer to the spec's list of statuses and their media types only.
func shallowCheck(op *openapi3.Operation, what string, status int, contentType string) (note, problem string) {
	response := op.Responses.Status(status)
	if response == nil || response.Value == nil {
		return "", fmt.Sprintf("conformance: %s: status %d is not in the spec", what, status)
	}
	mediaType, _, _ := mime.ParseMediaType(contentType)
	if len(response.Value.Content) > 0 && response.Value.Content.Get(mediaType) == nil {
		return "", fmt.Sprintf("conformance: %s: content type %q is not one the spec lists for %d", what, contentType, status)
	}
	return "conforms (status and media type only, see shallowChecks): " + what, ""
}
