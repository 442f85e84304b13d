#pragma once
// The documentation gate's built-in checks. Each reads the module's files and
// judges one requirement; options come from `gates.documentation` in the config.
#include "gates/builtin_check.hpp"

namespace qgate {

// module_readme_complete: README present, not a stub, required sections present.
CheckOutcome check_readme_complete(const CheckContext& context);
// api_documentation_updated: every declared route/endpoint is in API.md.
CheckOutcome check_api_documented(const CheckContext& context);
// database_schema_documented: every table in the module's SQL is described.
CheckOutcome check_schema_documented(const CheckContext& context);
// integration_guide_written: INTEGRATION.md present and not a stub.
CheckOutcome check_integration_guide(const CheckContext& context);
// breaking_changes_documented: the CHANGELOG has an entry for this change.
CheckOutcome check_changelog_entry(const CheckContext& context);

}  // namespace qgate
