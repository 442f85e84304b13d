#pragma once
// The coordination gate's built-in checks; options come from
// `gates.coordination` in the config.
#include "gates/builtin_check.hpp"

namespace qgate {

// migration_scripts_provided: when SQL schema files changed against the base
// ref, a new migration file came with them.
CheckOutcome check_migrations_provided(const CheckContext& context);
// deployment_plan_reviewed: the deployment plan is present, not a stub, and
// carries an acknowledgement line ("Reviewed-by: ...").
CheckOutcome check_deployment_plan(const CheckContext& context);

}  // namespace qgate
