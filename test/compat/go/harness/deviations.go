package harness

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Deviation is a place where pushlink deliberately answers as real Atlas was recorded to answer
// (../shared/reference) instead of as the OpenAPI document says. Each needs its reason; the
// conformance check applies nothing that is not listed here.
type Deviation struct {
	// Spec is a prefix of the SDK module whose document this applies to ("" for every one).
	Spec   string
	Method string
	Path   string // the spec's path template
	Status int    // what pushlink answers
	// SpecStatus is the documented status whose schema and media type the body is held to.
	SpecStatus int
	// EmptyBody: the response has no body (and so no Content-Type) although the spec names a
	// media type for it; only an empty body is accepted.
	EmptyBody bool
	Why       string
}

const linkTokensPath = "/api/atlas/v2/orgs/{orgId}/liveMigrations/linkTokens"

// shallowChecks are operations whose bodies the validator cannot check: kin-openapi v0.133 recurses
// without end on the spec's cluster description (a stack overflow, seen on every cluster answer).
// For these only the status and the media type are held to the spec, and the tests assert the
// decoded bodies themselves. Not a deviation of pushlink's: a limit of the checker.
var shallowChecks = map[string]bool{
	"POST /api/atlas/v2/groups/{groupId}/clusters":                true,
	"GET /api/atlas/v2/groups/{groupId}/clusters":                 true,
	"GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}":   true,
	"PATCH /api/atlas/v2/groups/{groupId}/clusters/{clusterName}": true,
}

// ShallowCheck says whether only the status and media type of this operation's answers are checked.
func ShallowCheck(method, path string) bool { return shallowChecks[method+" "+path] }

var deviations = []Deviation{
	{
		Method: "POST", Path: linkTokensPath, Status: 201, SpecStatus: 200,
		Why: "Create One Link-Token: the spec says 200, but the live service answered 201 Created in every recorded fixture (reference/link-token.md §1.1, CLI snapshots 2025-03 to 2026-08); the body is the spec's 200 body ({linkToken})",
	},
	{
		Method: "POST", Path: "/api/atlas/v2/groups", Status: 201, SpecStatus: 200,
		Why: "Create One Project: the spec says 200; the live service answered 201 Created (atlas CLI snapshots TestAtlasProjects, 2026-08-10, reference/live-migrations.md §4.1)",
	},
	{
		Method: "DELETE", Path: "/api/atlas/v2/groups/{groupId}", Status: 202, SpecStatus: 204, EmptyBody: false,
		Why: "Remove One Project: the spec says 204; the live service answered 202 with {} (atlas CLI snapshots TestAtlasProjects)",
	},
	{
		Method: "POST", Path: "/api/atlas/v2/groups/{groupId}/liveMigrations", Status: 409, SpecStatus: 400,
		Why: "a migration already runs into the destination: Atlas's documented CANNOT_MODIFY_CLUSTER_WITH_RUNNING_LIVE_IMPORT is a 409 (Atlas API errors page, reference/live-migrations.md §1.5), which the spec does not list for this operation; the body is its ApiError",
	},
	{
		Method: "DELETE", Path: linkTokensPath, Status: 204, EmptyBody: true,
		Why: "Delete One Link-Token: the spec gives the 204 a media type with no schema, but a 204 has no body (RFC 9110 §15.3.5), so pushlink sends neither body nor Content-Type",
	},
}

// The 2024-10-23 document lists no 401 or 403 for the Cloud Migration Service operations (the
// 2025 document does). Atlas answers a refused credential or a key without the role with 401
// (reference/atlas-api.md, USER_CANNOT_ACCESS_ORG / NOT_ORG_OWNER), so pushlink does too; the body
// is held to the operation's documented ApiError (its 400).
func init() {
	for _, op := range []struct{ method, path string }{
		{"POST", linkTokensPath},
		{"DELETE", linkTokensPath},
		{"GET", "/api/atlas/v2/orgs/{orgId}/liveMigrations/availableProjects"},
	} {
		deviations = append(deviations, Deviation{
			Spec: "go.mongodb.org/atlas-sdk/v20241023001", Method: op.method, Path: op.path, Status: 401, SpecStatus: 400,
			Why: "the v20241023001 document lists no 401 for this operation; Atlas refuses with 401 and an ApiError",
		})
	}
}

// FindDeviation is the declared deviation for this response, if any.
func FindDeviation(module, method, path string, status int) *Deviation {
	for i := range deviations {
		d := &deviations[i]
		if strings.HasPrefix(module, d.Spec) && d.Method == method && d.Path == path && d.Status == status {
			return d
		}
	}
	return nil
}

// patchSchemas loosens the spec's schemas where real Atlas responses were recorded to differ from
// them, each with its reason. Only these are changed; everything else is validated as written.
func patchSchemas(doc *openapi3.T) {
	// Group.withDefaultAlertsSettings: the v20241023001 document marks it writeOnly, yet every
	// recorded Group answer carries it ("withDefaultAlertsSettings":true, atlas CLI snapshots
	// TestAtlasProjects, 2026-08-10), as pushlink's do.
	if group := doc.Components.Schemas["Group"]; group != nil && group.Value != nil {
		if alerts := group.Value.Properties["withDefaultAlertsSettings"]; alerts != nil && alerts.Value != nil && alerts.Value.WriteOnly {
			readable := *alerts.Value
			readable.WriteOnly = false
			group.Value.Properties["withDefaultAlertsSettings"] = openapi3.NewSchemaRef("", &readable)
		}
	}
	// ApiError.parameters: the spec says an array of objects; every recorded Atlas error carries
	// strings there (the org id, the caller's IP, a version date: reference/atlas-api.md §3, e.g.
	// GROUP_NOT_FOUND's "parameters":["111111111111111111111111"]), and the Go SDK models it as
	// []any. pushlink sends strings too, so the items are allowed to be any JSON value.
	if apiError := doc.Components.Schemas["ApiError"]; apiError != nil && apiError.Value != nil {
		if parameters := apiError.Value.Properties["parameters"]; parameters != nil && parameters.Value != nil && parameters.Value.Items != nil {
			loosened := *parameters.Value
			loosened.Items = openapi3.NewSchemaRef("", &openapi3.Schema{})
			apiError.Value.Properties["parameters"] = openapi3.NewSchemaRef("", &loosened)
		}
	}
}
