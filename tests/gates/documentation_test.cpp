#include "gates/documentation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gates/api_routes.hpp"
#include "gates/builtin_check.hpp"
#include "gates/markdown_text.hpp"
#include "gates/module_files.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

using nlohmann::json;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

// About ninety words of ordinary documentation prose.
const std::string kProse =
    "The billing module turns usage records into invoices once a month. It reads the "
    "metering events that the gateway publishes, prices them with the tariff that was "
    "active when each event happened, and writes one invoice per customer account. "
    "Invoices can be previewed before the period closes, corrected with credit notes "
    "afterwards, and exported for the accounting team. The module owns its own tables "
    "and never writes to the data of other modules; other modules ask for invoice data "
    "through the documented HTTP API or subscribe to the events it emits when an "
    "invoice is issued or paid.\n";

const std::string kCompleteReadme = "# Billing\n\n## Overview\n\n" + kProse +
                                    "\n## Getting started\n\nRun `make install` and set "
                                    "`BILLING_DB_URL`.\n\n## Usage\n\n```sh\nbilling preview "
                                    "--account 42\n```\n";

CheckContext context_for(const TempDir& dir, json options = json::object(),
                         std::string base_ref = "") {
  CheckContext context;
  context.module_dir = dir.path();
  context.module_id = "billing";
  context.options = std::move(options);
  context.base_ref = std::move(base_ref);
  return context;
}

// The 1-based line of the first occurrence of `needle` in `text`, so that a test
// states which declaration a finding must point at.
int line_of(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  if (at == std::string::npos) return -1;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

std::vector<Finding> findings_with_rule(const CheckOutcome& outcome, const std::string& rule) {
  std::vector<Finding> found;
  for (const auto& finding : outcome.findings) {
    if (finding.rule == rule) found.push_back(finding);
  }
  return found;
}

void git(const TempDir& dir, const std::string& arguments) {
  const auto result = run_command(
      "git -c user.name=qgate-test -c user.email=test@example.invalid -c init.defaultBranch=main " +
          arguments,
      dir.path());
  ASSERT_EQ(result.exit_code, 0) << arguments << ": " << result.output;
}

// ---- find_builtin_check ---------------------------------------------------

TEST(BuiltinChecks, FindsEveryDocumentationRequirement) {
  EXPECT_EQ(find_builtin_check("module_readme_complete"), &check_readme_complete);
  EXPECT_EQ(find_builtin_check("api_documentation_updated"), &check_api_documented);
  EXPECT_EQ(find_builtin_check("database_schema_documented"), &check_schema_documented);
  EXPECT_EQ(find_builtin_check("integration_guide_written"), &check_integration_guide);
  EXPECT_EQ(find_builtin_check("breaking_changes_documented"), &check_changelog_entry);
}

TEST(BuiltinChecks, HasNoCheckForOtherRequirements) {
  EXPECT_EQ(find_builtin_check("unit_tests_passing"), nullptr);
  EXPECT_EQ(find_builtin_check("code_review_approved"), nullptr);
  EXPECT_EQ(find_builtin_check("module_readme"), nullptr);
  EXPECT_EQ(find_builtin_check(""), nullptr);
}

// ---- README -------------------------------------------------------------------

TEST(ReadmeCheck, PassesOnCompleteReadme) {
  TempDir dir;
  write_file(dir / "README.md", kCompleteReadme);
  const CheckOutcome outcome = check_readme_complete(context_for(dir));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_NE(outcome.message.find("README.md is complete: 3 required sections"), std::string::npos)
      << outcome.message;
  EXPECT_TRUE(outcome.findings.empty());
}

TEST(ReadmeCheck, FailsWhenReadmeIsMissing) {
  TempDir dir;
  write_file(dir / "docs/guide.md", kCompleteReadme);
  CheckContext context = context_for(dir);
  context.requirement = "module_readme_complete";
  const CheckOutcome outcome = check_readme_complete(context);
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message,
            "no README found (looked for README.md, Readme.md, readme.md, README.markdown)");
  ASSERT_EQ(outcome.findings.size(), 1u);
  EXPECT_EQ(outcome.findings[0].rule, "readme.missing");
  EXPECT_EQ(outcome.findings[0].file, "README.md");
  EXPECT_EQ(outcome.findings[0].requirement, "module_readme_complete");
}

TEST(ReadmeCheck, FailsOnStubWithPlaceholder) {
  TempDir dir;
  const std::string readme =
      "# Billing\n\n## Overview\n\nTODO\n\n## Installation\n\nComing soon.\n\n## Usage\n\n"
      "- TBD\n";
  write_file(dir / "README.md", readme);
  const CheckOutcome outcome = check_readme_complete(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_NE(outcome.message.find("README.md is a stub ("), std::string::npos) << outcome.message;
  EXPECT_NE(outcome.message.find("at least 80 expected"), std::string::npos) << outcome.message;
  EXPECT_NE(outcome.message.find("has placeholder text on lines 5, 9, 13"), std::string::npos)
      << outcome.message;
  const auto placeholders = findings_with_rule(outcome, "readme.placeholder");
  ASSERT_EQ(placeholders.size(), 3u);
  EXPECT_EQ(placeholders[0].file, "README.md");
  EXPECT_EQ(placeholders[0].line, line_of(readme, "TODO"));
  EXPECT_EQ(placeholders[1].line, line_of(readme, "Coming soon."));
  EXPECT_EQ(placeholders[2].line, line_of(readme, "- TBD"));
  EXPECT_EQ(findings_with_rule(outcome, "readme.stub").size(), 1u);
  EXPECT_EQ(outcome.findings[0].requirement, "module_readme_complete");
}

TEST(ReadmeCheck, FailsOnPlaceholderEvenWithEnoughWords) {
  TempDir dir;
  const std::string readme = kCompleteReadme + "\n## FAQ\n\nLorem ipsum dolor sit amet.\n";
  write_file(dir / "README.md", readme);
  const CheckOutcome outcome = check_readme_complete(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message.find("stub"), std::string::npos) << outcome.message;
  const auto placeholders = findings_with_rule(outcome, "readme.placeholder");
  ASSERT_EQ(placeholders.size(), 1u);
  EXPECT_EQ(placeholders[0].line, line_of(readme, "Lorem ipsum"));
}

TEST(ReadmeCheck, ListsEachMissingSection) {
  TempDir dir;
  write_file(dir / "README.md", "# Billing\n\n## Overview\n\n" + kProse);
  const CheckOutcome outcome = check_readme_complete(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message,
            "README.md is missing sections: Installation (or Setup, Getting Started), Usage");
  const auto missing = findings_with_rule(outcome, "readme.missing-section");
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_EQ(missing[1].message, "README.md has no \"Usage\" section heading");
}

TEST(ReadmeCheck, AcceptsSetextAndHtmlHeadingsInAnyCase) {
  TempDir dir;
  write_file(dir / "README.md",
             "Billing\n=======\n\nOVERVIEW\n--------\n\n" + kProse +
                 "\nSetup\n-----\n\nInstall it.\n\n<h2 align=\"left\">Usage examples</h2>\n\n"
                 "Preview an invoice.\n");
  const CheckOutcome outcome = check_readme_complete(context_for(dir));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
}

TEST(ReadmeCheck, IgnoresHeadingsAndCodeBlocksWhenCountingWords) {
  TempDir dir;
  std::string code_block = "```python\n# Usage\n";
  for (int i = 0; i < 40; ++i) code_block += "invoice = billing.preview(account, period, tariff)\n";
  code_block += "```\n";
  write_file(dir / "README.md",
             "# Billing\n\n## Overview\n\nShort text.\n\n"
             "## Install\n\n" +
                 code_block + "\n    indented code is not prose either at all really\n");
  const CheckOutcome outcome = check_readme_complete(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_NE(outcome.message.find("is a stub (2 words of prose"), std::string::npos)
      << outcome.message;
  // "# Usage" inside the fence is a comment in code, not a section.
  EXPECT_NE(outcome.message.find("is missing sections: Installation (or Setup, Getting Started), "
                                 "Usage"),
            std::string::npos)
      << outcome.message;
}

TEST(ReadmeCheck, DoesNotTakeProseAboutTodosForPlaceholders) {
  TempDir dir;
  write_file(dir / "README.md", kCompleteReadme +
                                    "\nTodo items are stored per user.\nIt reports TODO comments "
                                    "found in code.\nSupport for MySQL is coming soon, once the "
                                    "driver lands upstream.\n");
  const CheckOutcome outcome = check_readme_complete(context_for(dir));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
}

TEST(ReadmeCheck, UsesFirstExistingPathAndConfiguredSections) {
  TempDir dir;
  write_file(dir / "README.md", "# Overview\n\n## Installation\n\n## Usage\n\n" + kProse);
  write_file(dir / "docs/README.md",
             "# Purpose\n\nIssues invoices for metered usage every month.\n\n## HTTP endpoints\n\n"
             "See API.md for the list of routes.\n");
  const json options = {{"readme",
                         {{"path", {"docs/README.md", "README.md"}},
                          {"sections", {"Purpose", "API|Endpoints"}},
                          {"min_words", 10}}},
                        {"steps", json::array()}};
  const CheckOutcome outcome = check_readme_complete(context_for(dir, options));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_NE(outcome.message.find("docs/README.md is complete: 2 required sections"),
            std::string::npos)
      << outcome.message;
}

TEST(ReadmeCheck, AppliesConfiguredMinimumWordsAndSinglePath) {
  TempDir dir;
  write_file(dir / "MODULE.md", kCompleteReadme);
  const json options = {{"readme", {{"path", "MODULE.md"}, {"min_words", 500}}}};
  const CheckOutcome outcome = check_readme_complete(context_for(dir, options));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_NE(outcome.message.find("MODULE.md is a stub"), std::string::npos) << outcome.message;
  EXPECT_NE(outcome.message.find("at least 500 expected"), std::string::npos) << outcome.message;
}

TEST(ReadmeCheck, ReportsWrongOptionTypesAsError) {
  TempDir dir;
  write_file(dir / "README.md", kCompleteReadme);
  const CheckOutcome outcome =
      check_readme_complete(context_for(dir, {{"readme", {{"min_words", "many"}}}}));
  EXPECT_EQ(outcome.status, Status::error);
  EXPECT_NE(outcome.message.find("gates.documentation.readme.min_words"), std::string::npos)
      << outcome.message;
}

TEST(ReadmeCheck, TreatsNullOptionsAsDefaults) {
  TempDir dir;
  write_file(dir / "README.md", kCompleteReadme);
  EXPECT_EQ(check_readme_complete(context_for(dir, nullptr)).status, Status::passed);
  EXPECT_EQ(check_readme_complete(context_for(dir, {{"readme", nullptr}})).status, Status::passed);
}

TEST(ReadmeMarkdown, RecognisesPlaceholderText) {
  EXPECT_TRUE(is_placeholder_text("TODO"));
  EXPECT_TRUE(is_placeholder_text("- TBD"));
  EXPECT_TRUE(is_placeholder_text("FIXME: explain retries"));
  EXPECT_TRUE(is_placeholder_text("todo: write this"));
  EXPECT_TRUE(is_placeholder_text("_Coming soon_"));
  EXPECT_TRUE(is_placeholder_text("Documentation coming soon!"));
  EXPECT_TRUE(is_placeholder_text("> Lorem ipsum dolor sit amet"));
  EXPECT_TRUE(is_placeholder_text("To be written."));
  EXPECT_FALSE(is_placeholder_text("Todo lists are stored per user."));
  EXPECT_FALSE(is_placeholder_text("TODOs in code are reported."));
  EXPECT_FALSE(is_placeholder_text("Support for MySQL is coming soon, once the driver lands."));
  EXPECT_FALSE(is_placeholder_text(""));
}

TEST(ReadmeMarkdown, ClassifiesHeadingsTablesAndCode) {
  const MarkdownText text(
      "---\ntitle: x\n---\n# Title #\n\nPara `code span` [link](http://x.invalid).\n\n"
      "| Table | Purpose |\n|---|---|\n| `users` | accounts |\n\n~~~\n## not a heading\n~~~\n"
      "<!--\n## hidden\n-->\nSub\n---\n");
  ASSERT_EQ(text.headings().size(), 2u);
  EXPECT_EQ(text.headings()[0].text, "Title");
  EXPECT_EQ(text.headings()[0].line, 4);
  EXPECT_EQ(text.headings()[1].text, "Sub");
  EXPECT_EQ(text.headings()[1].level, 2);
  EXPECT_EQ(text.code_spans(), (std::vector<std::string>{"code span", "users"}));
  EXPECT_EQ(text.table_cells(),
            (std::vector<std::string>{"Table", "Purpose", "users", "accounts"}));
  // "Para code span link." plus the table's four cells.
  EXPECT_EQ(text.prose_word_count(), 8);
}

// ---- Integration guide ------------------------------------------------------------

TEST(IntegrationGuideCheck, PassesWithEnoughProse) {
  TempDir dir;
  write_file(dir / "INTEGRATION.md", "# Integrating with billing\n\n" + kProse);
  const CheckOutcome outcome = check_integration_guide(context_for(dir));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_NE(outcome.message.find("INTEGRATION.md is complete"), std::string::npos);
}

TEST(IntegrationGuideCheck, FailsWhenMissing) {
  TempDir dir;
  write_file(dir / "README.md", kCompleteReadme);
  const CheckOutcome outcome = check_integration_guide(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message,
            "no integration guide found (looked for INTEGRATION.md, docs/INTEGRATION.md, "
            "docs/integration.md)");
  ASSERT_EQ(outcome.findings.size(), 1u);
  EXPECT_EQ(outcome.findings[0].rule, "integration-guide.missing");
  EXPECT_EQ(outcome.findings[0].requirement, "integration_guide_written");
}

TEST(IntegrationGuideCheck, FailsOnStubWithPlaceholderLine) {
  TempDir dir;
  const std::string guide = "# Integration\n\nCall the API.\n\n## Events\n\nLorem ipsum dolor.\n";
  write_file(dir / "docs/integration.md", guide);
  const CheckOutcome outcome = check_integration_guide(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_NE(outcome.message.find("docs/integration.md is a stub (3 words of prose"),
            std::string::npos)
      << outcome.message;
  const auto placeholders = findings_with_rule(outcome, "integration-guide.placeholder");
  ASSERT_EQ(placeholders.size(), 1u);
  EXPECT_EQ(placeholders[0].file, "docs/integration.md");
  EXPECT_EQ(placeholders[0].line, line_of(guide, "Lorem"));
}

TEST(IntegrationGuideCheck, RequiresConfiguredSections) {
  TempDir dir;
  write_file(dir / "guides/INTEGRATING.md", "# Authentication\n\n" + kProse);
  const json options = {{"integration_guide",
                         {{"path", {"INTEGRATION.md", "guides/INTEGRATING.md"}},
                          {"sections", {"Authentication", "Events|Webhooks"}},
                          {"min_words", 20}}}};
  const CheckOutcome outcome = check_integration_guide(context_for(dir, options));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message, "guides/INTEGRATING.md is missing sections: Events (or Webhooks)");
}

// ---- API documentation ---------------------------------------------------------------

const std::string kFastApiUsers = R"(from fastapi import APIRouter, Depends

router = APIRouter(
    prefix="/users",
    tags=["users"],
)


@router.post("", status_code=201)
async def create_user(body: NewUser) -> User:
    return await users.create(body)


@router.get(
    "/{user_id}",
    response_model=User,
)
async def read_user(user_id: int) -> User:
    return await users.get(user_id)


# @router.put("/{user_id}") was removed in 2.0
@router.delete('/{user_id}/sessions')
async def delete_user(user_id: int) -> None:
    await users.delete(user_id)
)";

TEST(ApiCheck, FailsWhenApiDocIsMissing) {
  TempDir dir;
  write_file(dir / "app/users.py", kFastApiUsers);
  const CheckOutcome outcome = check_api_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message, "no API doc found (looked for API.md, docs/API.md, docs/api.md)");
  ASSERT_EQ(outcome.findings.size(), 1u);
  EXPECT_EQ(outcome.findings[0].rule, "api.missing");
}

TEST(ApiCheck, PassesWhenNoRoutesAreDeclared) {
  TempDir dir;
  write_file(dir / "API.md", "# API\n\nThis module has no HTTP interface.\n");
  write_file(dir / "billing/prices.py", "def price(usage):\n    return usage * 2\n");
  const CheckOutcome outcome = check_api_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::passed);
  EXPECT_EQ(outcome.message, "no routes declared in the module; API.md present");
}

TEST(ApiCheck, ReportsUndocumentedFastApiRouteAtItsDeclaration) {
  TempDir dir;
  write_file(dir / "app/users.py", kFastApiUsers);
  write_file(dir / "API.md",
             "# Users API\n\n## Create a user\n\n`POST /users`\n\n## Read a user\n\n"
             "`GET /users/:user_id` returns the user.\n");
  const CheckOutcome outcome = check_api_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message,
            "1 of 3 routes undocumented in API.md: DELETE /users/{user_id}/sessions");
  const auto undocumented = findings_with_rule(outcome, "api.undocumented-route");
  ASSERT_EQ(undocumented.size(), 1u);
  EXPECT_EQ(undocumented[0].file, "app/users.py");
  EXPECT_EQ(undocumented[0].line, line_of(kFastApiUsers, "@router.delete"));
  EXPECT_EQ(undocumented[0].message,
            "DELETE /users/{user_id}/sessions is not documented in API.md");
}

TEST(ApiCheck, FindsWrappedDecoratorsAndRouterPrefixes) {
  const auto routes = scan_source_routes(kFastApiUsers, "app/users.py");
  ASSERT_EQ(routes.size(), 3u);
  EXPECT_EQ(routes[0].method, "POST");
  EXPECT_EQ(routes[0].path, "/users");
  EXPECT_EQ(routes[1].method, "GET");
  EXPECT_EQ(routes[1].path, "/users/{user_id}");
  EXPECT_EQ(routes[1].line, line_of(kFastApiUsers, "@router.get("));
  EXPECT_EQ(routes[2].method, "DELETE");
}

const std::string kOpenApi = R"(openapi: 3.0.3
info:
  title: Orders
  version: 1.0.0
paths:
  /orders:
    get:
      summary: List orders
    post:
      summary: Create an order
  /orders/{orderId}:
    parameters:
      - name: orderId
        in: path
        required: true
    get:
      summary: Read one order
)";

TEST(ApiCheck, ReadsOpenApiPathsAndMethods) {
  TempDir dir;
  write_file(dir / "openapi.yaml", kOpenApi);
  write_file(dir / "API.md", "# Orders\n\n| Method | Path |\n|---|---|\n| GET, POST | /orders |\n");
  const CheckOutcome outcome = check_api_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message, "1 of 3 routes undocumented in API.md: GET /orders/{orderId}");
  const auto undocumented = findings_with_rule(outcome, "api.undocumented-route");
  ASSERT_EQ(undocumented.size(), 1u);
  EXPECT_EQ(undocumented[0].file, "openapi.yaml");
  EXPECT_EQ(undocumented[0].line, 16);  // the `get:` under /orders/{orderId}
}

TEST(ApiCheck, ReadsSwaggerJsonAndPassesWhenAllDocumented) {
  TempDir dir;
  write_file(dir / "api/swagger.json",
             R"({"swagger": "2.0", "basePath": "/v1",
  "paths": {
    "/invoices": {"get": {}},
    "/invoices/{id}/pay": {"post": {}}
  }})");
  write_file(dir / "docs/API.md",
             "# Invoices\n\nBase URL: `https://billing.example.invalid/v1`\n\n- GET /invoices — "
             "list\n- POST /invoices/<id>/pay — pay one invoice\n");
  const CheckOutcome outcome = check_api_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_EQ(outcome.message, "all 2 routes documented in docs/API.md");
}

TEST(ApiCheck, NotesRoutesDocumentedWithoutTheirMethod) {
  TempDir dir;
  const std::string router = R"(const express = require('express');
const router = express.Router();

router.get('/users/:id', async (req, res) => {
  res.json(await users.get(req.params.id));
});

router
  .route('/users')
  .get(listUsers)
  .post(createUser);

module.exports = router;
)";
  // Written with a chained call on one line too, as many codebases do.
  const std::string admin = "router.route('/admin/jobs').get(listJobs).post(startJob);\n";
  write_file(dir / "routes/users.js", router);
  write_file(dir / "routes/admin.js", admin);
  write_file(dir / "API.md",
             "# API\n\n- `GET /users/{id}`: one user\n- `GET /users`: all users; creating "
             "users also uses `/users`\n- `GET /admin/jobs` and `POST /admin/jobs`\n");
  const CheckOutcome outcome = check_api_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_EQ(outcome.message, "all 5 routes documented in API.md (1 without their HTTP method)");
  const auto notes = findings_with_rule(outcome, "api.method-not-mentioned");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].severity, Severity::info);
  EXPECT_EQ(notes[0].file, "routes/users.js");
  EXPECT_NE(notes[0].message.find("POST"), std::string::npos);
}

TEST(ApiCheck, IgnoresClientCallsTestsAndDependencyFolders) {
  TempDir dir;
  write_file(dir / "web/client.js",
             "export async function load() {\n  const res = await api.get('/reports', {});\n"
             "  return axios.post('/reports', body);\n}\naxios.get('/admin', config);\n");
  write_file(dir / "web/server.test.js", "app.get('/only-in-tests', handler);\n");
  write_file(dir / "tests/test_users.py", "@app.get('/only-in-tests')\ndef t(): ...\n");
  write_file(dir / "node_modules/express/index.js", "app.get('/vendored', handler);\n");
  write_file(dir / ".venv/lib/site.py", "@app.get('/vendored')\ndef f(): ...\n");
  write_file(dir / "API.md", "# API\n\nNo server routes.\n");
  const CheckOutcome outcome = check_api_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_EQ(outcome.message, "no routes declared in the module; API.md present");
}

TEST(ApiCheck, FindsFlaskAndGoRoutes) {
  TempDir dir;
  const std::string flask = R"(from flask import Blueprint

bp = Blueprint("items", __name__, url_prefix="/v1")


@bp.route("/items/<int:item_id>", methods=["GET", "PUT"])
def item(item_id):
    ...


@bp.route("/health")
def health():
    return "ok"
)";
  const std::string go = R"(package main

func routes(mux *http.ServeMux, r *gin.Engine) {
	http.HandleFunc("/healthz", healthz)
	mux.HandleFunc("GET /stock/{sku}", getStock)
	v2 := r.Group("/v2")
	v2.POST("/stock", addStock)
	// v2.DELETE("/stock", dropStock)
}
)";
  write_file(dir / "service/items.py", flask);
  write_file(dir / "cmd/server/main.go", go);
  write_file(dir / "API.md",
             "# API\n\n### GET /v1/items/{item_id}\n### PUT /v1/items/{item_id}\n### GET "
             "/v1/health\n### GET /healthz\n### POST /v2/stock\n");
  const CheckOutcome outcome = check_api_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message, "1 of 6 routes undocumented in API.md: GET /stock/{sku}");
  const auto undocumented = findings_with_rule(outcome, "api.undocumented-route");
  ASSERT_EQ(undocumented.size(), 1u);
  EXPECT_EQ(undocumented[0].file, "cmd/server/main.go");
  EXPECT_EQ(undocumented[0].line, line_of(go, "GET /stock"));
}

TEST(ApiCheck, AppliesExpressMountPrefixesFromAnotherFile) {
  TempDir dir;
  write_file(dir / "src/app.js",
             "const express = require('express');\n"
             "const usersRouter = require('./routes/users');\n"
             "import { router as ordersRouter } from './routes/orders';\n"
             "const app = express();\n"
             "app.use('/api/users', authenticate, usersRouter);\n"
             "app.use('/api/orders', ordersRouter);\n"
             "app.use('/health', require('./routes/health'));\n");
  const std::string users =
      "const router = require('express').Router();\n"
      "router.get('/', listUsers);\nrouter.get('/:id', showUser);\n";
  write_file(dir / "src/routes/users.js", users);
  write_file(dir / "src/routes/orders.ts", "router.post('/', createOrder);\n");
  write_file(dir / "src/routes/health/index.js",
             "router.get('/', (req, res) => res.send('ok'));\n");
  write_file(dir / "API.md",
             "# API\n\n- `GET /api/users`\n- `GET /api/users/{id}`\n- `POST /api/orders`\n");
  const CheckOutcome outcome = check_api_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message, "1 of 4 routes undocumented in API.md: GET /health");
  const auto undocumented = findings_with_rule(outcome, "api.undocumented-route");
  ASSERT_EQ(undocumented.size(), 1u);
  EXPECT_EQ(undocumented[0].file, "src/routes/health/index.js");
  EXPECT_EQ(undocumented[0].line, 1);
}

TEST(ApiCheck, AppliesFastApiIncludeRouterPrefixes) {
  TempDir dir;
  write_file(
      dir / "app/main.py",
      "from fastapi import FastAPI\n"
      "from app.routers import items\n"
      "from .routers.users import router as users_router\n\n"
      "app = FastAPI()\n"
      "app.include_router(items.router, prefix=\"/items\")\n"
      "app.include_router(\n    users_router,\n    prefix=\"/users\",\n    tags=[\"users\"],\n)\n");
  write_file(
      dir / "app/routers/items.py",
      "router = APIRouter()\n\n@router.get(\"/{item_id}\")\ndef read_item(item_id: int): ...\n");
  const std::string users = "router = APIRouter()\n\n\n@router.get(\"/me\")\ndef me(): ...\n";
  write_file(dir / "app/routers/users.py", users);
  write_file(dir / "API.md", "# API\n\n## GET /items/{item_id}\n");
  const CheckOutcome outcome = check_api_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message, "1 of 2 routes undocumented in API.md: GET /users/me");
  const auto undocumented = findings_with_rule(outcome, "api.undocumented-route");
  ASSERT_EQ(undocumented.size(), 1u);
  EXPECT_EQ(undocumented[0].file, "app/routers/users.py");
  EXPECT_EQ(undocumented[0].line, line_of(users, "@router.get"));
}

TEST(ApiCheck, FindsNestControllerAndGorillaRoutes) {
  const auto nest = scan_source_routes(
      "@Controller('invoices')\nexport class InvoicesController {\n  @Get(':id')\n  find() {}\n"
      "  @Post()\n  create() {}\n}\n",
      "src/invoices.controller.ts");
  ASSERT_EQ(nest.size(), 2u);
  EXPECT_EQ(nest[0].method, "GET");
  EXPECT_EQ(nest[0].path, "/invoices/:id");
  EXPECT_EQ(nest[0].line, 3);
  EXPECT_EQ(nest[1].method, "POST");
  EXPECT_EQ(nest[1].path, "/invoices");

  const auto gorilla = scan_source_routes(
      "\tr.HandleFunc(\"/articles/{id}\", ArticleHandler).Methods(\"GET\", \"PUT\")\n", "main.go");
  ASSERT_EQ(gorilla.size(), 2u);
  EXPECT_EQ(gorilla[0].method, "GET");
  EXPECT_EQ(gorilla[1].method, "PUT");
  EXPECT_EQ(gorilla[1].path, "/articles/{id}");
}

TEST(ApiCheck, NormalisesPathParameterSpellings) {
  EXPECT_EQ(normalize_route_path("/users/{id}"), "/users/{}");
  EXPECT_EQ(normalize_route_path("/users/:id"), "/users/{}");
  EXPECT_EQ(normalize_route_path("/users/<int:id>"), "/users/{}");
  EXPECT_EQ(normalize_route_path("/users/{id:[0-9]{3}}/"), "/users/{}");
  EXPECT_EQ(normalize_route_path("/Files/*rest?x=1"), "/files/{}");
  EXPECT_EQ(normalize_route_path("https://host.invalid/v1/items/{sku}.json"), "/v1/items/{}.json");
  EXPECT_EQ(normalize_route_path(""), "/");
}

TEST(ApiCheck, MatchesMountPrefixesButNotUnrelatedSuffixes) {
  const RouteMentions mounted("GET /api/v1/users\n");
  EXPECT_EQ(mounted.coverage({"GET", "/users", "a.py", 1}), RouteCoverage::path_and_method);
  EXPECT_EQ(mounted.coverage({"POST", "/users", "a.py", 1}), RouteCoverage::path_only);
  EXPECT_EQ(mounted.coverage({"GET", "/{id}", "a.py", 1}), RouteCoverage::missing);

  const RouteMentions based("Base path: `/api/v1`\n\nGET /users\n");
  EXPECT_EQ(based.coverage({"GET", "/api/v1/users", "a.py", 1}), RouteCoverage::path_and_method);
  EXPECT_EQ(based.coverage({"GET", "/admin/users", "a.py", 1}), RouteCoverage::missing);

  const RouteMentions prose("Use and/or combine ./scripts/users and TCP/IP.\n");
  EXPECT_EQ(prose.coverage({"GET", "/users", "a.py", 1}), RouteCoverage::missing);
}

TEST(ApiCheck, UsesConfiguredSourcesAndDocPath) {
  TempDir dir;
  write_file(dir / "service/api/routes.py", "@app.get('/status')\ndef status(): ...\n");
  write_file(dir / "tools/dev_server.py", "@app.get('/debug')\ndef debug(): ...\n");
  write_file(dir / "docs/http-api.md", "# HTTP API\n\n`GET /status` reports health.\n");
  const json options = {
      {"api", {{"path", {"API.md", "docs/http-api.md"}}, {"sources", {"service/**/*.py"}}}}};
  const CheckOutcome outcome = check_api_documented(context_for(dir, options));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_EQ(outcome.message, "all 1 route documented in docs/http-api.md");
}

TEST(ApiCheck, ReportsMalformedOpenApiAsErrorWithLine) {
  TempDir dir;
  write_file(dir / "API.md", "# API\n");
  write_file(dir / "openapi.yml", "openapi: 3.0.0\npaths:\n  /x:\n    get: [unclosed\n");
  const CheckOutcome outcome = check_api_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::error);
  EXPECT_EQ(outcome.message.rfind("openapi.yml:", 0), 0u) << outcome.message;
  EXPECT_NE(outcome.message.find("malformed YAML"), std::string::npos) << outcome.message;
}

// ---- Database schema ---------------------------------------------------------------

const std::string kInitSql = R"(-- Billing schema, version 1.
-- CREATE TABLE commented_out (id int);
/* CREATE TABLE also_commented (id int); */
CREATE TABLE IF NOT EXISTS "public"."Accounts" (
    id BIGSERIAL PRIMARY KEY,
    note TEXT DEFAULT 'CREATE TABLE not_a_table (x int)'
);

create table `invoices` (id bigint, account_id bigint);

CREATE UNLOGGED TABLE
    audit_log (id bigint, payload jsonb);

CREATE TEMPORARY TABLE scratch (id int);
)";

TEST(SchemaCheck, PassesWhenEveryTableIsDescribed) {
  TempDir dir;
  write_file(dir / "db/001_init.sql", kInitSql);
  write_file(dir / "SCHEMA.md",
             "# Schema\n\n## accounts\n\nOne row per customer.\n\nInvoices live in "
             "`public.invoices`.\n\n| Table | Purpose |\n|---|---|\n| **audit_log** | changes |\n");
  const CheckOutcome outcome = check_schema_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_EQ(outcome.message, "all 3 tables documented in SCHEMA.md");
}

TEST(SchemaCheck, ReportsUndocumentedTableAtItsCreateStatement) {
  TempDir dir;
  write_file(dir / "db/001_init.sql", kInitSql);
  write_file(dir / "docs/schema.md",
             "# Schema\n\n## Accounts\n\nCustomers. The audit_log table is mentioned only in "
             "prose.\n\n## `invoices`\n");
  const CheckOutcome outcome = check_schema_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message, "1 of 3 tables undocumented in docs/schema.md: audit_log");
  ASSERT_EQ(outcome.findings.size(), 1u);
  EXPECT_EQ(outcome.findings[0].rule, "schema.undocumented-table");
  EXPECT_EQ(outcome.findings[0].file, "db/001_init.sql");
  EXPECT_EQ(outcome.findings[0].line, line_of(kInitSql, "CREATE UNLOGGED"));
  EXPECT_EQ(outcome.findings[0].requirement, "database_schema_documented");
}

TEST(SchemaCheck, PassesWhenNoTablesAreDeclared) {
  TempDir dir;
  write_file(dir / "db/views.sql", "CREATE VIEW active AS SELECT 1;\n");
  const CheckOutcome outcome = check_schema_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::passed);
  EXPECT_EQ(outcome.message, "no tables declared in 1 SQL file");
}

TEST(SchemaCheck, FailsWhenDocIsMissingButTablesExist) {
  TempDir dir;
  write_file(dir / "schema.sql", "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n");
  const CheckOutcome outcome = check_schema_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message,
            "2 tables declared but no schema doc found (looked for SCHEMA.md, docs/schema.md, "
            "DATABASE.md, docs/database.md)");
  ASSERT_EQ(outcome.findings.size(), 1u);
  EXPECT_EQ(outcome.findings[0].rule, "schema.missing");
}

TEST(SchemaCheck, FollowsDropsAndRenamesAcrossMigrations) {
  TempDir dir;
  write_file(dir / "migrations/0001_init.sql",
             "CREATE TABLE sessions (id int);\nCREATE TABLE tmp_import (id int);\n");
  const std::string second =
      "DROP TABLE IF EXISTS tmp_import;\n\nALTER TABLE sessions RENAME TO user_sessions;\n";
  write_file(dir / "migrations/0002_cleanup.sql", second);
  write_file(dir / "DATABASE.md", "# Database\n");
  const CheckOutcome outcome = check_schema_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message, "1 of 1 table undocumented in DATABASE.md: user_sessions");
  ASSERT_EQ(outcome.findings.size(), 1u);
  EXPECT_EQ(outcome.findings[0].file, "migrations/0002_cleanup.sql");
  EXPECT_EQ(outcome.findings[0].line, line_of(second, "ALTER"));
}

TEST(SchemaCheck, HonoursSqlGlobsExcludesAndDocPathList) {
  TempDir dir;
  write_file(dir / "migrations/001_tables.sql", "CREATE TABLE plans (id int);\n");
  write_file(dir / "migrations/002_seed_fixture.sql", "CREATE TABLE fixture_only (id int);\n");
  write_file(dir / "tools/local.sql", "CREATE TABLE dev_only (id int);\n");
  write_file(dir / "SCHEMA.md", "# Nothing documented here\n");
  write_file(dir / "docs/db.md", "# Tables\n\n- `plans`: price plans\n");
  const json options = {{"schema",
                         {{"path", {"docs/db.md", "SCHEMA.md"}},
                          {"sql", {"migrations/*.sql"}},
                          {"exclude", {"**/*_fixture.sql"}}}}};
  const CheckOutcome outcome = check_schema_documented(context_for(dir, options));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_EQ(outcome.message, "all 1 table documented in docs/db.md");
}

TEST(SchemaCheck, SkipsVendoredSqlByDefault) {
  TempDir dir;
  write_file(dir / "vendor/geo/schema.sql", "CREATE TABLE countries (code char(2));\n");
  write_file(dir / "node_modules/pkg/init.sql", "CREATE TABLE pkg_state (id int);\n");
  write_file(dir / "db/plans.sql", "CREATE TABLE plans (id int);\n");
  write_file(dir / "SCHEMA.md", "# Schema\n\n### plans\n");
  const CheckOutcome outcome = check_schema_documented(context_for(dir));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_EQ(outcome.message, "all 1 table documented in SCHEMA.md");
}

TEST(SchemaFiles, MatchesGlobPatterns) {
  EXPECT_TRUE(glob_matches("**/*.sql", "schema.sql"));
  EXPECT_TRUE(glob_matches("**/*.sql", "db/migrations/001.sql"));
  EXPECT_FALSE(glob_matches("*.sql", "db/001.sql"));
  EXPECT_TRUE(glob_matches("src/**/*.{py,go}", "src/a/b/main.go"));
  EXPECT_FALSE(glob_matches("src/**/*.{py,go}", "lib/main.go"));
  EXPECT_TRUE(glob_matches("vendor/**", "vendor/x/y.sql"));
  EXPECT_TRUE(glob_matches("migrations/[0-9]*.sql", "migrations/7_add.sql"));
  EXPECT_FALSE(glob_matches("migrations/[0-9]*.sql", "migrations/add.sql"));
}

// ---- CHANGELOG ----------------------------------------------------------------------------

const std::string kChangelog =
    "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- Export invoices as CSV.\n\n## [1.0.0] - "
    "2024-05-01\n\n- First release.\n";

TEST(ChangelogCheck, FailsWhenMissing) {
  TempDir dir;
  const CheckOutcome outcome = check_changelog_entry(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message,
            "no CHANGELOG found (looked for CHANGELOG.md, CHANGES.md, HISTORY.md, "
            "docs/CHANGELOG.md)");
  ASSERT_EQ(outcome.findings.size(), 1u);
  EXPECT_EQ(outcome.findings[0].rule, "changelog.missing");
  EXPECT_EQ(outcome.findings[0].requirement, "breaking_changes_documented");
}

TEST(ChangelogCheck, PassesWithEntryInTopSection) {
  TempDir dir;
  write_file(dir / "CHANGELOG.md", kChangelog);
  const CheckOutcome outcome = check_changelog_entry(context_for(dir));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_EQ(outcome.message, "CHANGELOG.md has 1 entry under \"Unreleased\"");
}

TEST(ChangelogCheck, FailsWhenTopSectionHasOnlyPlaceholders) {
  TempDir dir;
  const std::string changelog =
      "# Changelog\n\n## [Unreleased]\n\n### Changed\n\n- TBD\n- _Nothing yet_\n\n## 1.0.0\n\n"
      "- First release.\n";
  write_file(dir / "CHANGES.md", changelog);
  const CheckOutcome outcome = check_changelog_entry(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message, "the top section \"Unreleased\" of CHANGES.md has no entries");
  ASSERT_EQ(outcome.findings.size(), 1u);
  EXPECT_EQ(outcome.findings[0].file, "CHANGES.md");
  EXPECT_EQ(outcome.findings[0].line, line_of(changelog, "## [Unreleased]"));
}

TEST(ChangelogCheck, FailsWithoutVersionSection) {
  TempDir dir;
  write_file(dir / "CHANGELOG.md", "# Changelog\n\n- something changed\n");
  const CheckOutcome outcome = check_changelog_entry(context_for(dir));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message, "CHANGELOG.md has no version section (a \"## \" heading)");
}

TEST(ChangelogCheck, UsesConfiguredPath) {
  TempDir dir;
  write_file(dir / "CHANGELOG.md", "# Changelog\n\n## 0.1.0\n\n- TODO\n");
  write_file(dir / "docs/RELEASES.md", kChangelog);
  const json options = {{"changelog", {{"path", {"docs/RELEASES.md", "CHANGELOG.md"}}}}};
  const CheckOutcome outcome = check_changelog_entry(context_for(dir, options));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_NE(outcome.message.find("docs/RELEASES.md"), std::string::npos);
}

TEST(ChangelogCheck, PassesWhenChangedSinceBaseRef) {
  TempDir dir;
  write_file(dir / "billing/CHANGELOG.md", kChangelog);
  git(dir, "init -q");
  git(dir, "add .");
  git(dir, "commit -q -m base");
  write_file(dir / "billing/CHANGELOG.md", kChangelog + "- Later fix.\n");
  CheckContext context = context_for(dir, json::object(), "HEAD");
  context.module_dir = dir / "billing";
  const CheckOutcome outcome = check_changelog_entry(context);
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_EQ(outcome.message, "CHANGELOG.md changed since HEAD");
}

TEST(ChangelogCheck, FailsWhenUnchangedSinceBaseRef) {
  TempDir dir;
  write_file(dir / "CHANGELOG.md", kChangelog);
  git(dir, "init -q");
  git(dir, "add .");
  git(dir, "commit -q -m base");
  write_file(dir / "src/new_feature.py", "print('new')\n");
  const CheckOutcome outcome = check_changelog_entry(context_for(dir, json::object(), "HEAD"));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message, "CHANGELOG.md has no changes since HEAD");
  ASSERT_EQ(outcome.findings.size(), 1u);
  EXPECT_EQ(outcome.findings[0].rule, "changelog.unchanged");
}

TEST(ChangelogCheck, PassesWhenChangelogIsNewSinceBaseRef) {
  TempDir dir;
  write_file(dir / "README.md", kCompleteReadme);
  git(dir, "init -q");
  git(dir, "add .");
  git(dir, "commit -q -m base");
  write_file(dir / "CHANGELOG.md", kChangelog);  // untracked: invisible to git diff
  const CheckOutcome outcome = check_changelog_entry(context_for(dir, json::object(), "HEAD"));
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_EQ(outcome.message, "CHANGELOG.md is new since HEAD");
}

TEST(ChangelogCheck, ErrorsOnUnknownBaseRef) {
  TempDir dir;
  write_file(dir / "CHANGELOG.md", kChangelog);
  git(dir, "init -q");
  git(dir, "add .");
  git(dir, "commit -q -m base");
  const CheckOutcome outcome =
      check_changelog_entry(context_for(dir, json::object(), "origin/no-such-branch"));
  EXPECT_EQ(outcome.status, Status::error);
  EXPECT_EQ(outcome.message,
            "base ref origin/no-such-branch not found in the git repository (fetch "
            "it, or deepen a shallow clone)");
}

TEST(ChangelogCheck, FallsBackToTopSectionOutsideGit) {
  TempDir dir;
  write_file(dir / "CHANGELOG.md", "# Changelog\n\n## 2.0.0\n\n- TBD\n");
  const CheckOutcome outcome = check_changelog_entry(context_for(dir, json::object(), "main"));
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(outcome.message,
            "the top section \"2.0.0\" of CHANGELOG.md has no entries (not a git repository, base "
            "ref main unused)");
}

}  // namespace
}  // namespace qgate
