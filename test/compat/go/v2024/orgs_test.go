package v2024

import (
	"net/http"
	"testing"

	"pushlink.local/compat/harness"
)

// Organizations: a key or service account belongs to one org, the one it can list and read.
func TestOrganizations(t *testing.T) {
	env := harness.Load(t)
	for _, signIn := range append(owners(env), members(env)...) {
		t.Run(signIn.name, func(t *testing.T) {
			sdk := client(t, env, signIn.modifier)

			page, resp, err := sdk.OrganizationsApi.ListOrganizations(ctx).Execute()
			if err != nil {
				t.Fatalf("ListOrganizations: %v", err)
			}
			status(t, resp, http.StatusOK)
			orgs := page.GetResults()
			if page.GetTotalCount() != 1 || len(orgs) != 1 || orgs[0].GetId() != env.OrgID || orgs[0].GetName() != env.OrgName {
				t.Fatalf("ListOrganizations: want only %s (%s), got %+v", env.OrgID, env.OrgName, page)
			}

			org, resp, err := sdk.OrganizationsApi.GetOrganization(ctx, env.OrgID).Execute()
			if err != nil {
				t.Fatalf("GetOrganization: %v", err)
			}
			status(t, resp, http.StatusOK)
			if org.GetId() != env.OrgID || org.GetName() != env.OrgName || org.GetIsDeleted() {
				t.Fatalf("GetOrganization: got %+v", org)
			}

			_, _, err = sdk.OrganizationsApi.GetOrganization(ctx, harness.UnknownOrgID).Execute()
			refused(t, err, http.StatusUnauthorized, "USER_CANNOT_ACCESS_ORG")
		})
	}
}
