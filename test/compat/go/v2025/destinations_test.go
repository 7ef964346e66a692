package v2025

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"go.mongodb.org/atlas-sdk/v20250312020/admin"

	"pushlink.local/compat/harness"
)

// m10 is the smallest dedicated replica set, as the SDK's users write it.
func m10(name string) *admin.ClusterDescription20240805 {
	return &admin.ClusterDescription20240805{
		Name:        admin.PtrString(name),
		ClusterType: admin.PtrString("REPLICASET"),
		ReplicationSpecs: &[]admin.ReplicationSpec20240805{{
			RegionConfigs: &[]admin.CloudRegionConfig20240805{{
				ProviderName:   admin.PtrString("AWS"),
				RegionName:     admin.PtrString("US_EAST_1"),
				Priority:       admin.PtrInt(7),
				ElectableSpecs: &admin.HardwareSpec20240805{InstanceSize: admin.PtrString("M10"), NodeCount: admin.PtrInt(3)},
			}},
		}},
	}
}

// waitIdle watches a cluster as `atlas clusters create -w` and Terraform do, until IDLE.
func waitIdle(t *testing.T, sdk *admin.APIClient, groupID, name string) *admin.ClusterDescription20240805 {
	t.Helper()
	var cluster *admin.ClusterDescription20240805
	harness.Eventually(t, "cluster "+name+" IDLE", 20*time.Second, func() (bool, string) {
		got, _, err := sdk.ClustersApi.GetCluster(ctx, groupID, name).Execute()
		if err != nil {
			return false, err.Error()
		}
		cluster = got
		return got.GetStateName() == "IDLE", got.GetStateName()
	})
	return cluster
}

// newProject makes a project for one subtest.
func newProject(t *testing.T, sdk *admin.APIClient, env harness.Env, name string) string {
	t.Helper()
	group, resp, err := sdk.ProjectsApi.CreateGroup(ctx, &admin.Group{Name: name, OrgId: env.OrgID}).Execute()
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	status(t, resp, http.StatusCreated)
	if group.GetName() != name || group.GetOrgId() != env.OrgID || group.GetClusterCount() != 0 {
		t.Fatalf("CreateGroup: got %+v", group)
	}
	return group.GetId()
}

// Projects and clusters: the destinations of a live migration, through their whole life.
func TestProjectsAndClusters(t *testing.T) {
	env := harness.Load(t)
	for i, signIn := range owners(env) {
		t.Run(signIn.name, func(t *testing.T) {
			sdk := client(t, env, signIn.modifier)
			name := fmt.Sprintf("compat-v2025-%d-%d", i, time.Now().UnixNano())
			groupID := newProject(t, sdk, env, name)
			_, _, err := sdk.ProjectsApi.CreateGroup(ctx, &admin.Group{Name: name, OrgId: env.OrgID}).Execute()
			refused(t, err, http.StatusConflict, "GROUP_ALREADY_EXISTS")

			page, resp, err := sdk.ProjectsApi.ListGroups(ctx).Execute()
			if err != nil {
				t.Fatalf("ListGroups: %v", err)
			}
			status(t, resp, http.StatusOK)
			found := false
			for _, g := range page.GetResults() {
				found = found || g.GetId() == groupID
			}
			if !found || page.GetTotalCount() < 1 {
				t.Fatalf("ListGroups: %s not in %+v", groupID, page)
			}
			got, _, err := sdk.ProjectsApi.GetGroup(ctx, groupID).Execute()
			if err != nil || got.GetName() != name {
				t.Fatalf("GetGroup: %v %+v", err, got)
			}

			created, resp, err := sdk.ClustersApi.CreateCluster(ctx, groupID, m10("dest")).Execute()
			if err != nil {
				t.Fatalf("CreateCluster: %v", err)
			}
			status(t, resp, http.StatusCreated)
			if created.GetStateName() != "CREATING" || created.GetMongoDBVersion() == "" {
				t.Fatalf("CreateCluster: got %s %s", created.GetStateName(), created.GetMongoDBVersion())
			}
			_, _, err = sdk.ClustersApi.CreateCluster(ctx, groupID, m10("dest")).Execute()
			refused(t, err, http.StatusBadRequest, "DUPLICATE_CLUSTER_NAME")

			idle := waitIdle(t, sdk, groupID, "dest")
			strings := idle.GetConnectionStrings()
			if strings.GetStandardSrv() == "" || idle.GetFeatureCompatibilityVersion() == "" {
				t.Fatalf("IDLE without connection strings: %+v", strings)
			}
			clusters, _, err := sdk.ClustersApi.ListClusters(ctx, groupID).Execute()
			if err != nil || clusters.GetTotalCount() != 1 || clusters.GetResults()[0].GetName() != "dest" {
				t.Fatalf("ListClusters: %v %+v", err, clusters)
			}

			member := client(t, env, members(env)[i].modifier)
			if _, _, err := member.ClustersApi.GetCluster(ctx, groupID, "dest").Execute(); err != nil {
				t.Fatalf("GetCluster as a member: %v", err)
			}
			_, _, err = member.ClustersApi.CreateCluster(ctx, groupID, m10("other")).Execute()
			refused(t, err, http.StatusUnauthorized, "USER_UNAUTHORIZED")

			_, err = sdk.ProjectsApi.DeleteGroup(ctx, groupID).Execute()
			refused(t, err, http.StatusConflict, "CANNOT_CLOSE_GROUP_ACTIVE_ATLAS_CLUSTERS")
			resp, err = sdk.ClustersApi.DeleteCluster(ctx, groupID, "dest").Execute()
			if err != nil {
				t.Fatalf("DeleteCluster: %v", err)
			}
			status(t, resp, http.StatusAccepted)
			harness.Eventually(t, "cluster gone", 20*time.Second, func() (bool, string) {
				_, _, err := sdk.ClustersApi.GetCluster(ctx, groupID, "dest").Execute()
				return err != nil && admin.IsErrorCode(err, "CLUSTER_NOT_FOUND"), fmt.Sprint(err)
			})
			resp, err = sdk.ProjectsApi.DeleteGroup(ctx, groupID).Execute()
			if err != nil {
				t.Fatalf("DeleteGroup: %v", err)
			}
			status(t, resp, http.StatusAccepted)
			_, _, err = sdk.ProjectsApi.GetGroup(ctx, groupID).Execute()
			refused(t, err, http.StatusNotFound, "GROUP_NOT_FOUND")
		})
	}
}

// The whole push live migration through the SDK's own calls: validate, create, watch to ready
// for cutover, cut over (digest sends this empty PUT chunked), watch to COMPLETE.
func TestLiveMigration(t *testing.T) {
	env := harness.Load(t)
	source := harness.LoadMigration(t)
	for i, signIn := range owners(env) {
		t.Run(signIn.name, func(t *testing.T) {
			sdk := client(t, env, signIn.modifier)
			groupID := newProject(t, sdk, env, fmt.Sprintf("migration-v2025-%d-%d", i, time.Now().UnixNano()))
			if _, _, err := sdk.ClustersApi.CreateCluster(ctx, groupID, m10("dest")).Execute(); err != nil {
				t.Fatalf("CreateCluster: %v", err)
			}
			waitIdle(t, sdk, groupID, "dest")
			request := &admin.LiveMigrationRequest20240530{
				Destination:    admin.Destination{ClusterName: "dest", GroupId: groupID, HostnameSchemaType: "PUBLIC"},
				MigrationHosts: []string{source.MigrationHost},
				Source:         admin.Source{ClusterName: source.SourceCluster, GroupId: source.SourceGroupID, ManagedAuthentication: true},
			}
			cms := sdk.CloudMigrationServiceApi

			validation, resp, err := cms.ValidateLiveMigrations(ctx, groupID, request).Execute()
			if err != nil {
				t.Fatalf("ValidateLiveMigrations: %v", err)
			}
			status(t, resp, http.StatusOK)
			harness.Eventually(t, "validation SUCCESS", 10*time.Second, func() (bool, string) {
				got, _, err := cms.GetMigrationValidateStatus(ctx, groupID, validation.GetId()).Execute()
				if err != nil {
					return false, err.Error()
				}
				return got.GetStatus() == "SUCCESS", got.GetStatus() + " " + got.GetErrorMessage()
			})

			migration, resp, err := cms.CreateGroupLiveMigration(ctx, groupID, request).Execute()
			if err != nil {
				t.Fatalf("CreateGroupLiveMigration: %v", err)
			}
			status(t, resp, http.StatusCreated)
			if migration.GetStatus() != "NEW" || migration.GetReadyForCutover() {
				t.Fatalf("CreateGroupLiveMigration: got %+v", migration)
			}
			_, _, err = cms.CreateGroupLiveMigration(ctx, groupID, request).Execute()
			refused(t, err, http.StatusConflict, "CANNOT_MODIFY_CLUSTER_WITH_RUNNING_LIVE_IMPORT")
			id := migration.GetId()
			watch := func(what string, done func(*admin.LiveMigrationResponse) bool) {
				harness.Eventually(t, what, 20*time.Second, func() (bool, string) {
					got, _, err := cms.GetGroupLiveMigration(ctx, groupID, id).Execute()
					if err != nil {
						return false, err.Error()
					}
					return done(got), fmt.Sprintf("%s ready=%v lag=%v", got.GetStatus(), got.GetReadyForCutover(), got.LagTimeSeconds)
				})
			}
			watch("ready for cutover", func(m *admin.LiveMigrationResponse) bool { return m.GetStatus() == "WORKING" && m.GetReadyForCutover() })
			resp, err = cms.CutoverMigration(ctx, groupID, id).Execute()
			if err != nil {
				t.Fatalf("CutoverMigration: %v", err)
			}
			status(t, resp, http.StatusAccepted)
			watch("COMPLETE", func(m *admin.LiveMigrationResponse) bool { return m.GetStatus() == "COMPLETE" })
			_, err = cms.CutoverMigration(ctx, groupID, id).Execute()
			refused(t, err, http.StatusBadRequest, "LIVE_MIGRATION_ENDED")
		})
	}
}
