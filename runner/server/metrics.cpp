#include "runner/server/metrics.hpp"

#include <sstream>

#include "runner/server/callbacks.hpp"

namespace qgate {

namespace {

std::string number(double value) {
  std::ostringstream out;
  out.precision(10);
  out << value;
  return out.str();
}

}  // namespace

std::string prometheus_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void HttpMetrics::record(const std::string& route, const std::string& method, int status,
                         double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, method, status}];
  Histogram& histogram = durations_[route];
  if (histogram.counts.empty()) histogram.counts.assign(kRequestDurationBuckets.size() + 1, 0);
  std::size_t bucket = 0;
  while (bucket < kRequestDurationBuckets.size() && seconds > kRequestDurationBuckets[bucket]) {
    ++bucket;
  }
  ++histogram.counts[bucket];
  histogram.sum += seconds;
  ++histogram.total;
}

std::string HttpMetrics::render() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  out << "# HELP qgate_http_requests_total HTTP requests answered, by route, method and code.\n"
         "# TYPE qgate_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    out << "qgate_http_requests_total{route=\"" << prometheus_label(route) << "\",method=\""
        << prometheus_label(method) << "\",code=\"" << status << "\"} " << count << "\n";
  }
  out << "# HELP qgate_http_request_duration_seconds Time to answer HTTP requests, by route.\n"
         "# TYPE qgate_http_request_duration_seconds histogram\n";
  for (const auto& [route, histogram] : durations_) {
    const std::string label = "route=\"" + prometheus_label(route) + "\"";
    long long cumulative = 0;
    for (std::size_t i = 0; i < kRequestDurationBuckets.size(); ++i) {
      cumulative += histogram.counts[i];
      out << "qgate_http_request_duration_seconds_bucket{" << label << ",le=\""
          << number(kRequestDurationBuckets[i]) << "\"} " << cumulative << "\n";
    }
    out << "qgate_http_request_duration_seconds_bucket{" << label << ",le=\"+Inf\"} "
        << histogram.total << "\n";
    out << "qgate_http_request_duration_seconds_sum{" << label << "} " << number(histogram.sum)
        << "\n";
    out << "qgate_http_request_duration_seconds_count{" << label << "} " << histogram.total << "\n";
  }
  return out.str();
}

std::string render_metrics(const HttpMetrics& http, const DatabaseFigures& figures,
                           const CallbackCounts* callbacks) {
  std::ostringstream out;
  out << "# HELP qgate_runs Queued runs in the database, by status.\n"
         "# TYPE qgate_runs gauge\n";
  for (const char* status : {"queued", "running", "finished", "interrupted", "cancelled"}) {
    long long count = 0;
    for (const auto& [name, n] : figures.items_by_status) {
      if (name == status) count = n;
    }
    out << "qgate_runs{status=\"" << status << "\"} " << count << "\n";
  }
  out << "# HELP qgate_queue_depth Runs waiting for a worker.\n"
         "# TYPE qgate_queue_depth gauge\n"
      << "qgate_queue_depth " << figures.queue_depth << "\n";
  out << "# HELP qgate_gate_duration_seconds How long gates took, by gate, over every recorded "
         "run.\n"
         "# TYPE qgate_gate_duration_seconds histogram\n";
  for (const auto& gate : figures.gates) {
    const std::string label = "gate=\"" + prometheus_label(gate.gate) + "\"";
    for (std::size_t i = 0; i < kGateDurationBuckets.size(); ++i) {
      out << "qgate_gate_duration_seconds_bucket{" << label << ",le=\""
          << number(kGateDurationBuckets[i]) << "\"} " << gate.cumulative[i] << "\n";
    }
    out << "qgate_gate_duration_seconds_bucket{" << label << ",le=\"+Inf\"} "
        << gate.cumulative.back() << "\n";
    out << "qgate_gate_duration_seconds_sum{" << label << "} " << number(gate.sum) << "\n";
    out << "qgate_gate_duration_seconds_count{" << label << "} " << gate.cumulative.back() << "\n";
  }
  out << "# HELP qgate_callbacks Completion callbacks in the database, by state.\n"
         "# TYPE qgate_callbacks gauge\n";
  for (const auto& [state, count] : figures.callbacks_by_state) {
    out << "qgate_callbacks{state=\"" << prometheus_label(state) << "\"} " << count << "\n";
  }
  if (callbacks != nullptr) {
    out << "# HELP qgate_callback_deliveries_total Callback attempts of this server, by outcome.\n"
           "# TYPE qgate_callback_deliveries_total counter\n"
        << "qgate_callback_deliveries_total{outcome=\"delivered\"} " << callbacks->delivered.load()
        << "\n"
        << "qgate_callback_deliveries_total{outcome=\"failed_attempt\"} "
        << callbacks->failed_attempts.load() << "\n"
        << "qgate_callback_deliveries_total{outcome=\"given_up\"} " << callbacks->given_up.load()
        << "\n";
  }
  out << http.render();
  return out.str();
}

}  // namespace qgate
