package v2024

import (
	"net/http"
	"testing"

	"go.mongodb.org/atlas-sdk/v20241023001/admin"

	"pushlink.local/compat/harness"
)

// Cloud Migration Service, org side: create a link-token, use the key inside it, list the
// projects a linked source offers, delete the link.
func TestLinkTokens(t *testing.T) {
	env := harness.Load(t)
	for _, signIn := range owners(env) {
		t.Run(signIn.name, func(t *testing.T) {
			sdk := client(t, env, signIn.modifier)
			cms := sdk.CloudMigrationServiceApi

			created, resp, err := cms.CreateLinkToken(ctx, env.OrgID, &admin.TargetOrgRequest{AccessListIps: &[]string{"127.0.0.1"}}).Execute()
			if err != nil {
				t.Fatalf("CreateLinkToken: %v", err)
			}
			status(t, resp, http.StatusCreated)
			token := harness.DecodeLinkToken(t, created.GetLinkToken())
			if token.OrgID != env.OrgID || token.OrgName != env.OrgName {
				t.Fatalf("link-token names %s (%s), want %s (%s)", token.OrgID, token.OrgName, env.OrgID, env.OrgName)
			}

			// The link key inside works with the same SDK (digest, from 127.0.0.1, on its access
			// list), for what a source needs: reading its org. It is not an owner.
			linkKey := client(t, env, digest(harness.Key{Public: token.PublicAPIKey, Private: token.PrivateAPIKey}))
			org, _, err := linkKey.OrganizationsApi.GetOrganization(ctx, env.OrgID).Execute()
			if err != nil || org.GetId() != env.OrgID {
				t.Fatalf("GetOrganization with the link key: %v %+v", err, org)
			}
			_, _, err = linkKey.CloudMigrationServiceApi.CreateLinkToken(ctx, env.OrgID, &admin.TargetOrgRequest{}).Execute()
			refused(t, err, http.StatusUnauthorized, "NOT_ORG_OWNER")

			// No source has pushed an inventory through this link yet: an empty list.
			projects, resp, err := cms.ListSourceProjects(ctx, env.OrgID).Execute()
			if err != nil {
				t.Fatalf("ListSourceProjects: %v", err)
			}
			status(t, resp, http.StatusOK)
			if len(projects) != 0 {
				t.Fatalf("ListSourceProjects: want none, got %+v", projects)
			}

			_, resp, err = cms.DeleteLinkToken(ctx, env.OrgID).Execute()
			if err != nil {
				t.Fatalf("DeleteLinkToken: %v", err)
			}
			status(t, resp, http.StatusNoContent)

			// Deleting the link removed its key.
			_, _, err = linkKey.OrganizationsApi.GetOrganization(ctx, env.OrgID).Execute()
			refused(t, err, http.StatusUnauthorized, "UNEXPECTED_ERROR")
		})
	}
}

// What pushlink refuses, as the SDK reports it.
func TestLinkTokenRefusals(t *testing.T) {
	env := harness.Load(t)
	for _, signIn := range members(env) {
		t.Run(signIn.name, func(t *testing.T) {
			cms := client(t, env, signIn.modifier).CloudMigrationServiceApi
			_, _, err := cms.CreateLinkToken(ctx, env.OrgID, &admin.TargetOrgRequest{}).Execute()
			refused(t, err, http.StatusUnauthorized, "NOT_ORG_OWNER")
			_, _, err = cms.DeleteLinkToken(ctx, env.OrgID).Execute()
			refused(t, err, http.StatusUnauthorized, "NOT_ORG_OWNER")
			_, _, err = cms.ListSourceProjects(ctx, env.OrgID).Execute()
			refused(t, err, http.StatusUnauthorized, "NOT_ORG_OWNER")
		})
	}
	for _, signIn := range owners(env) {
		t.Run(signIn.name+" wrong org", func(t *testing.T) {
			cms := client(t, env, signIn.modifier).CloudMigrationServiceApi
			_, _, err := cms.CreateLinkToken(ctx, harness.UnknownOrgID, &admin.TargetOrgRequest{}).Execute()
			refused(t, err, http.StatusUnauthorized, "USER_CANNOT_ACCESS_ORG")
			_, _, err = cms.CreateLinkToken(ctx, harness.MalformedOrgID, &admin.TargetOrgRequest{}).Execute()
			refused(t, err, http.StatusNotFound, "INVALID_ORG_ID")
		})
	}
}
