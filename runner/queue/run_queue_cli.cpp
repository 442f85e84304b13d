#include "runner/queue/run_queue_cli.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "runner/core/exit_codes.hpp"

namespace qgate {
namespace {

nlohmann::json to_json(const QueueItem& item) {
  auto text_or_null = [](const std::string& text) {
    return text.empty() ? nlohmann::json() : nlohmann::json(text);
  };
  auto options = nlohmann::json::parse(item.options_json, nullptr, false);
  if (options.is_discarded()) options = nlohmann::json::object();
  return {{"id", item.id},
          {"module_id", item.module_id},
          {"checkout_id", text_or_null(item.checkout_id)},
          {"ref", item.ref},
          {"module_path", item.module_path},
          {"repository", item.repository},
          {"options", options},
          {"status", item.status},
          {"attempts", item.attempts},
          {"max_attempts", item.max_attempts},
          {"worker_id", item.worker_id},
          {"worker_host", item.worker_host},
          {"worker_pid", item.worker_pid},
          {"lease_expires_at", text_or_null(item.lease_expires_at)},
          {"cancel_requested", item.cancel_requested},
          {"idempotency_key", text_or_null(item.idempotency_key)},
          {"created_at", item.created_at},
          {"started_at", text_or_null(item.started_at)},
          {"finished_at", text_or_null(item.finished_at)},
          {"run_id", text_or_null(item.run_id)},
          {"exit_code", item.exit_code < 0 ? nlohmann::json() : nlohmann::json(item.exit_code)},
          {"message", item.message}};
}

}  // namespace

QueueCommands::QueueCommands(CLI::App& app, std::string& database_url)
    : database_url_(database_url) {
  const char* const url_help = "PostgreSQL database (default: $QGATE_DATABASE_URL)";
  queue_ = app.add_subcommand("queue", "Put runs in the queue that `qgate worker` drains");
  queue_->require_subcommand(1);
  queue_->add_option("--database-url", database_url, url_help);

  add_ = queue_->add_subcommand("add", "Queue a run of a module; prints the queue item's id");
  add_->add_option("-m,--module", request_.module_id, "Module id")->required();
  add_->add_option("--path", path_,
                   "The module's folder (holding integration-requirements.yaml); needed unless "
                   "--repository is given");
  add_->add_option("--repository", request_.repository,
                   "Git repository (absolute path, file://, https://, http://, ssh:// URL or "
                   "user@host:path) whose worktree at --ref the worker runs");
  add_->add_option("--checkout", request_.checkout_id, "Record against this checkout");
  add_->add_option("--ref", request_.ref,
                   "Branch, tag or commit run from --repository (default: its HEAD); with "
                   "--path, only recorded");
  add_->add_option("--options", request_.options_json,
                   "JSON object: jobs, fail_fast, open_pr, callback_url");
  add_->add_option("--max-attempts", request_.max_attempts,
                   "Attempts before an item whose worker died is marked interrupted")
      ->capture_default_str();
  add_->add_option("--idempotency-key", request_.idempotency_key,
                   "The same key gives back the same item instead of a second one");

  list_ = queue_->add_subcommand("list", "List queue items, newest first");
  list_->add_option("--status", query_.status, "queued, running, finished, interrupted, cancelled");
  list_->add_option("-m,--module", query_.module_id, "Only items of this module");
  list_->add_option("--checkout", query_.checkout_id, "Only items of this checkout");
  list_->add_option("-n,--limit", query_.limit, "How many")->check(CLI::Range(1, 1000000));
  list_->add_option("-f,--format", format_, "text or json")->capture_default_str();

  show_ = queue_->add_subcommand("show", "Show one queue item as JSON");
  show_->add_option("item", item_id_, "Queue item id")->required();

  cancel_ = queue_->add_subcommand("cancel", "Cancel a queued or running item");
  cancel_->add_option("item", item_id_, "Queue item id")->required();
  for (CLI::App* sub : {add_, list_, show_, cancel_}) sub->fallthrough();

  worker_ = app.add_subcommand("worker", "Take runs from the queue and run `qgate check` for each");
  worker_->add_option("--database-url", database_url, url_help);
  worker_->add_option("--workers", worker_options_.workers, "Worker processes")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  worker_
      ->add_option("--lease", worker_options_.lease_seconds,
                   "Seconds a dead worker keeps its item before another takes it")
      ->check(CLI::Range(2, 86400))
      ->capture_default_str();
  worker_
      ->add_option("--poll", worker_options_.poll_seconds,
                   "Seconds between claims while nothing is queued")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
  worker_
      ->add_option("--stop-timeout", worker_options_.stop_seconds,
                   "After SIGTERM, seconds a running item may go on before it is handed back")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  worker_
      ->add_option("-j,--jobs", worker_options_.jobs,
                   "Steps run at once per run, unless the item says (default: qgate's)")
      ->check(CLI::Range(1, 4096));
  worker_->add_option("--modules-root", modules_root_,
                      "Run only modules (and local repositories) under this folder");
  worker_->add_option("--workspace-root", workspace_root_,
                      "Where repositories are mirrored and runs checked out (default: "
                      "$XDG_CACHE_HOME/qgate, else ~/.cache/qgate)");
  auto* once = worker_->add_flag("--once", once_, "Run one item (if any) and exit");
  worker_->add_flag("--drain", drain_, "Exit once nothing is queued")->excludes(once);
}

std::optional<int> QueueCommands::run(std::ostream& out, std::ostream& err) {
  if (*worker_) {
    worker_options_.database_url = database_url_;
    worker_options_.mode = once_    ? WorkerMode::once
                           : drain_ ? WorkerMode::drain
                                    : WorkerMode::forever;
    worker_options_.modules_root = modules_root_;
    if (!workspace_root_.empty()) {
      worker_options_.workspace_root = std::filesystem::absolute(workspace_root_);
    }
    return run_worker(worker_options_, out, err);
  }
  if (!*queue_) return std::nullopt;
  if (database_url_.empty()) {
    err << "qgate queue: give --database-url or set QGATE_DATABASE_URL\n";
    return kExitUsage;
  }
  if (*add_) {
    if (!path_.empty()) {
      request_.module_path = std::filesystem::absolute(path_).lexically_normal().string();
      while (request_.module_path.size() > 1 && request_.module_path.back() == '/') {
        request_.module_path.pop_back();
      }
    }
    if (const std::string problem = validate_queue_request(request_); !problem.empty()) {
      err << "qgate queue add: " << problem << "\n";
      return kExitUsage;
    }
  }
  if ((*show_ || *cancel_) && !is_uuid(item_id_)) {
    err << "qgate queue: '" << item_id_ << "' is not a queue item id (a UUID)\n";
    return kExitUsage;
  }
  auto queue = open_run_queue(database_url_);
  if (*add_) {
    Enqueued enqueued;
    try {
      enqueued = queue->enqueue(request_);
    } catch (const QueueRequestRejected& rejected) {
      err << "qgate queue add: " << rejected.what() << "\n";
      return kExitUsage;
    }
    out << enqueued.item.id << "\n";
    if (!enqueued.created) {
      err << "qgate queue add: idempotency key '" << request_.idempotency_key
          << "' was given before: item " << enqueued.item.id << " (" << enqueued.item.status
          << ") is the run asked for\n";
    }
    return kExitPassed;
  }
  if (*list_) {
    const auto items = queue->list(query_);
    if (format_ == "json") {
      nlohmann::json all = nlohmann::json::array();
      for (const auto& item : items) all.push_back(to_json(item));
      out << all.dump(2) << "\n";
      return kExitPassed;
    }
    if (format_ != "text") {
      err << "qgate queue list: unknown format '" << format_ << "' (text, json)\n";
      return kExitUsage;
    }
    out << std::left << std::setw(38) << "ITEM" << std::setw(13) << "STATUS" << std::setw(14)
        << "MODULE" << std::setw(9) << "ATTEMPT" << std::setw(26) << "CREATED"
        << "RUN\n";
    for (const auto& item : items) {
      out << std::setw(38) << item.id << std::setw(13) << item.status << std::setw(14)
          << item.module_id << std::setw(9)
          << (std::to_string(item.attempts) + "/" + std::to_string(item.max_attempts))
          << std::setw(26) << item.created_at << (item.run_id.empty() ? "-" : item.run_id) << "\n";
    }
    if (items.empty()) out << "(no items)\n";
    return kExitPassed;
  }
  const auto item = *show_ ? queue->get(item_id_) : queue->request_cancel(item_id_);
  if (!item) {
    err << "qgate queue: no item " << item_id_ << "\n";
    return kExitUsage;
  }
  if (*show_) {
    out << to_json(*item).dump(2) << "\n";
  } else {
    out << item->id << " " << (item->status == "running" ? "cancel requested" : item->status)
        << "\n";
  }
  return kExitPassed;
}

}  // namespace qgate
