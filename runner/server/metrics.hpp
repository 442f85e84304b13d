#pragma once
// /metrics of `qgate serve`, in Prometheus' text format (version 0.0.4):
// HTTP requests by route, method and code with their durations, kept in
// memory since start, and the figures read from the database at each scrape
// (queue items by status, queue depth, gate durations, callbacks).
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "runner/server/api_db.hpp"

namespace qgate {

struct CallbackCounts;

class HttpMetrics {
 public:
  // Counts one answered request; `route` is the route's pattern, e.g.
  // "/v1/runs/{id}", or "unmatched".
  void record(const std::string& route, const std::string& method, int status, double seconds);
  std::string render() const;

 private:
  struct Histogram {
    std::vector<long long> counts;  // per bucket (not cumulative), then +Inf
    double sum = 0;
    long long total = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, long long> requests_;
  std::map<std::string, Histogram> durations_;
};

// Upper bounds (seconds) of the request-duration histogram's buckets.
inline const std::vector<double> kRequestDurationBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// The whole /metrics text.
std::string render_metrics(const HttpMetrics& http, const DatabaseFigures& figures,
                           const CallbackCounts* callbacks);

// Escapes a label value (backslash, double quote, newline).
std::string prometheus_label(const std::string& value);

}  // namespace qgate
