// Package harness is what every op file of the compatibility suite shares: the pushlink under
// test and its credentials (from the environment the Node runner sets), and conformance checking
// of every live response against the OpenAPI document shipped in the SDK module.
package harness

import (
	"os"
	"testing"
	"time"
)

// Key is an Atlas programmatic API key (HTTP Digest).
type Key struct{ Public, Private string }

// ServiceAccount is an OAuth 2.0 client-credentials pair.
type ServiceAccount struct{ ID, Secret string }

// Env is one running pushlink. Secrets come from environment variables, never from the command
// line, so they stay out of process listings and CI logs.
type Env struct {
	BaseURL  string
	OrgID    string
	OrgName  string
	Owner    Key
	OwnerSA  ServiceAccount
	Member   Key // ORG_MEMBER: may read its org, may not do what an owner does
	MemberSA ServiceAccount
}

// Load reads the environment test/compat/goSdk.test.ts sets. A missing variable fails the test:
// run the suite through `npm test`, or export the variables yourself (see test/compat/README.md).
func Load(t testing.TB) Env {
	t.Helper()
	get := func(name string) string {
		return required(t, name, "run the suite through npm test (test/compat/goSdk.test.ts), or see test/compat/README.md")
	}
	return Env{
		BaseURL:  get("PUSHLINK_COMPAT_BASE_URL"),
		OrgID:    get("PUSHLINK_COMPAT_ORG_ID"),
		OrgName:  get("PUSHLINK_COMPAT_ORG_NAME"),
		Owner:    Key{get("PUSHLINK_COMPAT_OWNER_PUBLIC_KEY"), get("PUSHLINK_COMPAT_OWNER_PRIVATE_KEY")},
		OwnerSA:  ServiceAccount{get("PUSHLINK_COMPAT_OWNER_CLIENT_ID"), get("PUSHLINK_COMPAT_OWNER_CLIENT_SECRET")},
		Member:   Key{get("PUSHLINK_COMPAT_MEMBER_PUBLIC_KEY"), get("PUSHLINK_COMPAT_MEMBER_PRIVATE_KEY")},
		MemberSA: ServiceAccount{get("PUSHLINK_COMPAT_MEMBER_CLIENT_ID"), get("PUSHLINK_COMPAT_MEMBER_CLIENT_SECRET")},
	}
}

// UnknownOrgID is a well-formed org id no pushlink principal belongs to.
const UnknownOrgID = "000000000000000000000bad"

// MalformedOrgID is not an ObjectId at all.
const MalformedOrgID = "not-an-org-id"

// Migration is what the live-migration tests need besides Env: a source side linked to the org,
// whose inventory offers this project, deployment and migration host (set by goSdk.test.ts on the
// pushlink it starts for them).
type Migration struct {
	SourceGroupID string
	SourceCluster string
	MigrationHost string
}

func LoadMigration(t testing.TB) Migration {
	t.Helper()
	get := func(name string) string {
		return required(t, name, "the live-migration tests run on the linked pushlink goSdk.test.ts starts for them")
	}
	return Migration{
		SourceGroupID: get("PUSHLINK_COMPAT_SOURCE_GROUP_ID"),
		SourceCluster: get("PUSHLINK_COMPAT_SOURCE_CLUSTER"),
		MigrationHost: get("PUSHLINK_COMPAT_MIGRATION_HOST"),
	}
}

// Eventually calls probe until it reports done or the time is up, then fails the test with what
// it saw last. Every watch loop of the suite is bounded this way.
func Eventually(t testing.TB, what string, timeout time.Duration, probe func() (done bool, last string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, last := probe()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last: %s", what, timeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// required is the environment variable name, failing the test with how to set it when it is not.
func required(t testing.TB, name, how string) string {
	t.Helper()
	value := os.Getenv(name)
	if value == "" {
		t.Fatalf("%s is not set: %s", name, how)
	}
	return value
}
