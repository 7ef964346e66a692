// The README's Go SDK recipe, as a program the suite builds and runs against pushlink
// (test/compat/goSdk.test.ts), so the recipe stays true. Keep the two in step.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"go.mongodb.org/atlas-sdk/v20250312020/admin"
)

func main() {
	ctx := context.Background()
	orgID := os.Getenv("ORG_ID")

	// HTTP Digest with an API key, or OAuth with a service account (after UseBaseURL: the SDK
	// builds the token URL from the base URL).
	signIn := admin.UseDigestAuth(os.Getenv("PUBLIC_KEY"), os.Getenv("PRIVATE_KEY"))
	if clientID := os.Getenv("CLIENT_ID"); clientID != "" {
		signIn = admin.UseOAuthAuth(ctx, clientID, os.Getenv("CLIENT_SECRET"))
	}
	sdk, err := admin.NewClient(admin.UseBaseURL(os.Getenv("PUSHLINK_URL")), signIn)
	if err != nil {
		log.Fatal(err)
	}

	org, _, err := sdk.OrganizationsApi.GetOrg(ctx, orgID).Execute()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("org: %s %s\n", org.GetId(), org.GetName())

	created, resp, err := sdk.CloudMigrationServiceApi.CreateLinkToken(ctx, orgID,
		&admin.TargetOrgRequest{AccessListIps: &[]string{"127.0.0.1"}}).Execute()
	if err != nil {
		log.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(created.GetLinkToken())
	var token struct{ OrgID, PublicAPIKey string }
	if err := json.Unmarshal(raw, &token); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("link-token: %d %s, org %s\n", resp.StatusCode, resp.Status[4:], token.OrgID)

	projects, _, err := sdk.CloudMigrationServiceApi.ListAvailableProjects(ctx, orgID).Execute()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("available projects: %d\n", len(projects))

	resp, err = sdk.CloudMigrationServiceApi.DeleteLinkTokens(ctx, orgID).Execute()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("deleted: %d\n", resp.StatusCode)

	// Refusals come back as an ApiError with Atlas's error code.
	_, _, err = sdk.OrganizationsApi.GetOrg(ctx, "000000000000000000000bad").Execute()
	if apiErr, ok := admin.AsError(err); ok && admin.IsErrorCode(err, "USER_CANNOT_ACCESS_ORG") {
		fmt.Printf("refused: %d %s\n", apiErr.GetError(), apiErr.GetErrorCode())
	} else {
		log.Fatalf("expected USER_CANNOT_ACCESS_ORG, got %v", err)
	}
}
