// Package v2025 drives pushlink with the 2024-10-23 generation of the Atlas Go SDK
// (go.mongodb.org/atlas-sdk/v20241023001), through its own methods. One file per op group
// (linktokens_test.go, orgs_test.go, …); this file builds the clients they share.
package v2024

import (
	"context"
	"net/http"
	"testing"

	"go.mongodb.org/atlas-sdk/v20241023001/admin"

	"pushlink.local/compat/harness"
)

// sdkModule is the module whose admin package is imported above and whose OpenAPI document every
// response is checked against.
const sdkModule = "go.mongodb.org/atlas-sdk/v20241023001"

var ctx = context.Background()

// auth is one way of signing in, named for subtests.
type auth struct {
	name     string
	modifier admin.ClientModifier
}

func digest(key harness.Key) admin.ClientModifier {
	return admin.UseDigestAuth(key.Public, key.Private)
}

// This generation's UseOAuthAuth is its own client-credentials code (auth/credentials), with a
// token cache argument (nil: in memory). Like v2025's it builds the token URL from the base URL as
// set so far, so it comes after UseBaseURL (reference/go-sdk-client.md).
func oauth(sa harness.ServiceAccount) admin.ClientModifier {
	return admin.UseOAuthAuth(sa.ID, sa.Secret, nil)
}

// owners: an ORG_OWNER API key (HTTP Digest) and an ORG_OWNER service account (OAuth).
func owners(env harness.Env) []auth {
	return []auth{{"owner digest", digest(env.Owner)}, {"owner oauth", oauth(env.OwnerSA)}}
}

// members: the same two ways in for an ORG_MEMBER.
func members(env harness.Env) []auth {
	return []auth{{"member digest", digest(env.Member)}, {"member oauth", oauth(env.MemberSA)}}
}

// client is an SDK client on pushlink whose every Atlas response is checked against the spec.
func client(t *testing.T, env harness.Env, signIn admin.ClientModifier) *admin.APIClient {
	t.Helper()
	spec := harness.LoadSpec(t, sdkModule, env.BaseURL)
	checked := func(c *admin.Configuration) error {
		c.HTTPClient = &http.Client{Transport: spec.Transport(t, c.HTTPClient.Transport)}
		return nil
	}
	sdk, err := admin.NewClient(admin.UseBaseURL(env.BaseURL), signIn, checked)
	if err != nil {
		t.Fatalf("admin.NewClient: %v", err)
	}
	return sdk
}

// refused checks that the SDK reports an Atlas ApiError with this status and code.
func refused(t *testing.T, err error, status int, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected %d %s, the call succeeded", status, code)
	}
	apiErr, ok := admin.AsError(err)
	if !ok || !admin.IsErrorCode(err, code) || apiErr.GetError() != status {
		t.Fatalf("expected %d %s, got %v", status, code, err)
	}
	if apiErr.GetDetail() == "" || apiErr.GetReason() == "" {
		t.Fatalf("ApiError without detail or reason: %+v", apiErr)
	}
}

func status(t *testing.T, resp *http.Response, want int) {
	t.Helper()
	if resp == nil || resp.StatusCode != want {
		t.Fatalf("status: want %d, got %v", want, resp)
	}
}
