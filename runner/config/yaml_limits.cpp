#include "runner/config/yaml_limits.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>
#include <vector>

#include "runner/core/config.hpp"

namespace qgate {
namespace {

std::string at(const YAML::Mark& mark) {
  return std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

// Counts what the document would be once its aliases are expanded, without
// expanding them: each anchored node's expanded size and height is kept, and
// an alias adds its anchor's.
class ShapeCheck : public YAML::EventHandler {
 public:
  ShapeCheck(const std::string& path, const YamlLimits& limits) : path_(path), limits_(limits) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) {
      fail(mark,
           "a second YAML document starts here; qgate reads one document per file (remove this "
           "`---` or what follows it)");
    }
  }
  void OnDocumentEnd() override {}

  void OnAnchor(const YAML::Mark& mark, const std::string& name) override {
    anchor_name_ = name;
    anchor_mark_ = mark;
  }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    leaf(mark, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    for (const Open& open : open_) {
      if (open.anchor != 0 && open.anchor == anchor) {
        fail(mark, "alias *" + open.anchor_name + " is inside the node it names (&" +
                       open.anchor_name + " at " + at(open.anchor_mark) +
                       "): a recursive alias stands for an endless value");
      }
    }
    const auto found = anchors_.find(anchor);
    // yaml-cpp refuses an alias of an anchor not defined yet.
    if (found == anchors_.end()) return;
    add(mark, found->second.nodes, found->second.height, Via::alias);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  enum class Via { node, alias };

  // An anchored node, as an alias of it would add.
  struct Anchored {
    std::size_t nodes = 0;
    int height = 0;  // levels below it
  };
  // A sequence or mapping whose end is still to come.
  struct Open {
    YAML::anchor_t anchor = 0;
    YAML::Mark anchor_mark;
    std::string anchor_name;
    std::size_t nodes_before = 0;  // the document's count before it
    int height = 0;
  };

  [[noreturn]] void fail(const YAML::Mark& mark, std::string message) const {
    throw ConfigError({Diagnostic{path_, mark.line + 1, mark.column + 1, std::move(message)}});
  }

  // Adds a node of `nodes` values and `height` levels below it to the
  // innermost open node.
  void add(const YAML::Mark& mark, std::size_t nodes, int height, Via via) {
    total_ += nodes;
    const std::string expanded = via == Via::alias ? " once this alias is expanded" : "";
    if (total_ > limits_.max_nodes) {
      fail(mark, "the file holds more than " + std::to_string(limits_.max_nodes) + " values" +
                     expanded + ", the most qgate reads (an alias bomb?)");
    }
    if (static_cast<int>(open_.size()) + 1 + height > limits_.max_depth) {
      fail(mark, "values are nested more than " + std::to_string(limits_.max_depth) +
                     " levels deep here" + expanded + ", the most qgate reads");
    }
    if (!open_.empty()) open_.back().height = std::max(open_.back().height, height + 1);
  }

  void remember(YAML::anchor_t anchor, std::size_t nodes, int height) {
    if (anchor != 0) anchors_[anchor] = Anchored{nodes, height};
  }

  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    add(mark, 1, 0, Via::node);
    remember(anchor, 1, 0);
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    add(mark, 1, 0, Via::node);
    open_.push_back(Open{anchor, anchor_mark_, anchor == 0 ? "" : anchor_name_, total_ - 1, 0});
  }

  void close() {
    const Open done = open_.back();
    open_.pop_back();
    remember(done.anchor, total_ - done.nodes_before, done.height);
    if (!open_.empty()) open_.back().height = std::max(open_.back().height, done.height + 1);
  }

  const std::string& path_;
  const YamlLimits& limits_;
  int documents_ = 0;
  std::size_t total_ = 0;
  std::vector<Open> open_;
  std::map<YAML::anchor_t, Anchored> anchors_;
  std::string anchor_name_;  // of the latest anchor: the next node is the one it names
  YAML::Mark anchor_mark_;
};

}  // namespace

void check_yaml_shape(const std::string& path, const std::string& text, const YamlLimits& limits) {
  std::istringstream in(text);
  ShapeCheck check(path, limits);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(check)) {
    }
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own guard, deeper than ours; its message is "bad file".
    throw ConfigError(
        {Diagnostic{path, e.mark.line + 1, e.mark.column + 1,
                    "values are nested too deeply here (more than " +
                        std::to_string(limits.max_depth) + " levels), the most qgate reads"}});
  } catch (const YAML::Exception& e) {
    throw ConfigError({Diagnostic{path, e.mark.line + 1, e.mark.column + 1, e.msg}});
  }
}

YamlLimits configured_yaml_limits() {
  YamlLimits limits;
  const char* text = std::getenv("QGATE_MAX_CONFIG_MEGABYTES");
  if (text == nullptr || *text == '\0') return limits;
  char* end = nullptr;
  const unsigned long long megabytes = std::strtoull(text, &end, 10);
  if (*end != '\0' || megabytes == 0 || megabytes > 4096) return limits;
  const std::uintmax_t bytes = static_cast<std::uintmax_t>(megabytes) << 20;
  if (bytes > limits.max_file_bytes) {
    const std::uintmax_t factor = (bytes + limits.max_file_bytes - 1) / limits.max_file_bytes;
    limits.max_nodes *= factor;
    limits.max_located_bytes *= factor;
  }
  limits.max_file_bytes = bytes;
  return limits;
}

}  // namespace qgate
