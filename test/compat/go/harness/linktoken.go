package harness

import (
	"encoding/base64"
	"encoding/json"
	"testing"
)

// LinkToken is what a link-token carries: standard base64 of this JSON (reference/link-token.md).
type LinkToken struct {
	OrgID         string `json:"orgId"`
	OrgName       string `json:"orgName"`
	PublicAPIKey  string `json:"publicApiKey"`
	PrivateAPIKey string `json:"privateApiKey"`
}

// DecodeLinkToken decodes a token as a source (Cloud Manager / Ops Manager) would, failing t if it
// is not well formed.
func DecodeLinkToken(t testing.TB, token string) LinkToken {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		t.Fatalf("link-token is not standard base64: %v", err)
	}
	var decoded LinkToken
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatalf("link-token does not decode to JSON: %v", err)
	}
	if decoded.OrgID == "" || decoded.PublicAPIKey == "" || decoded.PrivateAPIKey == "" {
		t.Fatalf("link-token lacks orgId or its key: %+v", decoded)
	}
	return decoded
}
