#include "gates/coordination.hpp"

#include <gtest/gtest.h>

#include "tests/test_support.hpp"

namespace qgate {
namespace {

using testing::run_command;
using testing::TempDir;
using testing::write_file;

CheckContext context_for(const TempDir& dir, const std::string& base_ref = "") {
  CheckContext context;
  context.module_dir = dir.path();
  context.base_ref = base_ref;
  return context;
}

// A repository whose main branch holds a schema and one migration.
void make_repository(const TempDir& dir) {
  write_file(dir / "db/schema.sql", "CREATE TABLE humans (id INTEGER PRIMARY KEY);\n");
  write_file(dir / "migrations/0001_humans.sql", "CREATE TABLE humans (id INTEGER);\n");
  write_file(dir / "README.md", "module\n");
  const auto result = run_command(
      "git init -q -b main . && git -c user.name=t -c user.email=t@example.com add -A && "
      "git -c user.name=t -c user.email=t@example.com commit -q -m base && git checkout -q -b work",
      dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
}

void commit_all(const TempDir& dir) {
  ASSERT_EQ(run_command(
                "git add -A && git -c user.name=t -c user.email=t@example.com commit -q -m change",
                dir.path())
                .exit_code,
            0);
}

TEST(MigrationsCheck, PassesWhenNoSchemaFileChanged) {
  TempDir dir;
  make_repository(dir);
  write_file(dir / "README.md", "module, documented\n");
  commit_all(dir);
  const CheckOutcome outcome = check_migrations_provided(context_for(dir));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  // Without a configured base ref, main is used (there is no origin here).
  EXPECT_EQ(outcome.message, "no schema file changed against main");
}

TEST(MigrationsCheck, FailsWhenTheSchemaChangedWithoutANewMigration) {
  TempDir dir;
  make_repository(dir);
  write_file(dir / "db/schema.sql", "CREATE TABLE humans (id INTEGER PRIMARY KEY, name TEXT);\n");
  commit_all(dir);
  // Editing an existing migration is not a new one.
  write_file(dir / "migrations/0001_humans.sql", "CREATE TABLE humans (id INTEGER, name TEXT);\n");
  const CheckOutcome outcome = check_migrations_provided(context_for(dir, "main"));
  EXPECT_EQ(outcome.status, Status::failed) << outcome.message;
  ASSERT_EQ(outcome.findings.size(), 1u);
  EXPECT_EQ(outcome.findings[0].file, "db/schema.sql");
}

TEST(MigrationsCheck, PassesWithANewMigrationCommittedOrNot) {
  TempDir dir;
  make_repository(dir);
  write_file(dir / "db/schema.sql", "CREATE TABLE humans (id INTEGER PRIMARY KEY, name TEXT);\n");
  write_file(dir / "migrations/0002_names.sql", "ALTER TABLE humans ADD COLUMN name TEXT;\n");
  // Not yet added to git: still seen.
  CheckOutcome outcome = check_migrations_provided(context_for(dir, "main"));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_NE(outcome.message.find("migrations/0002_names.sql"), std::string::npos);
  commit_all(dir);
  outcome = check_migrations_provided(context_for(dir, "main"));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
}

TEST(MigrationsCheck, UnknownBaseIsAnErrorAndNoRepositoryIsSkipped) {
  TempDir dir;
  make_repository(dir);
  EXPECT_EQ(check_migrations_provided(context_for(dir, "no-such-ref")).status, Status::error);
  TempDir plain;
  EXPECT_EQ(check_migrations_provided(context_for(plain)).status, Status::skipped);
}

TEST(DeploymentPlanCheck, NeedsAPlanThatIsNotAStubAndIsAcknowledged) {
  TempDir dir;
  EXPECT_EQ(check_deployment_plan(context_for(dir)).status, Status::failed);
  write_file(dir / "DEPLOYMENT.md", "# Plan\nTBD\n");
  CheckOutcome outcome = check_deployment_plan(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_NE(outcome.message.find("stub"), std::string::npos);
  const std::string plan =
      "# Deployment plan\n\n1. Apply migration 0002 in the maintenance window.\n"
      "2. Deploy two replicas and watch the error rate for thirty minutes.\n"
      "3. Roll back by scaling the new release to zero.\n";
  write_file(dir / "DEPLOYMENT.md", plan);
  outcome = check_deployment_plan(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_NE(outcome.message.find("not been acknowledged"), std::string::npos);
  write_file(dir / "DEPLOYMENT.md", plan + "\nReviewed-by: platform-operations\n");
  outcome = check_deployment_plan(context_for(dir));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_NE(outcome.message.find("line 7"), std::string::npos);
}

TEST(DeploymentPlanCheck, HonoursAConfiguredPathAndPattern) {
  TempDir dir;
  write_file(dir / "ops/plan.md",
             "Rollout in three waves across the regions, with a canary first, an automated "
             "rollback on error budget burn, and a data backfill after the last wave.\n"
             "Sign-off: SRE on call\n");
  CheckContext context = context_for(dir);
  context.options = nlohmann::json::parse(
      R"({"deployment_plan": {"path": "ops/plan.md", "acknowledged": "^Sign-off: +\\S"}})");
  EXPECT_EQ(check_deployment_plan(context).status, Status::passed);
  context.options["deployment_plan"]["acknowledged"] = "([";
  const CheckOutcome bad = check_deployment_plan(context);
  EXPECT_EQ(bad.status, Status::error);
  EXPECT_NE(bad.message.find("acknowledged is not a valid pattern: "), std::string::npos)
      << bad.message;
}

TEST(DeploymentPlanCheck, MatchesAPatternAgainstALineOfAMegabyte) {
  // std::regex recursed once per character of `.+` and overflowed the stack.
  TempDir dir;
  write_file(dir / "DEPLOYMENT.md",
             "Rollout in three waves across the regions, with a canary first, an automated "
             "rollback on error budget burn, and a data backfill after the last wave.\n"
             "Reviewed-by: " +
                 std::string(1 << 20, 'x') + "\n");
  CheckContext context = context_for(dir);
  context.options =
      nlohmann::json::parse(R"({"deployment_plan": {"acknowledged": "^Reviewed-by: .+$"}})");
  const CheckOutcome outcome = check_deployment_plan(context);
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message.substr(0, 300);
  // The line is quoted, not copied whole into the verdict.
  EXPECT_LT(outcome.message.size(), 300u);
}

}  // namespace
}  // namespace qgate
