#include <pugixml.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include "gates/parsers/coverage.hpp"
#include "gates/parsers/coverage_files.hpp"
#include "gates/parsers/xml_input.hpp"
#include "gates/parsers/xml_stream.hpp"

namespace qgate {
namespace {

// Branches of one line: covered and total, from condition-coverage="50% (1/2)".
using LineBranches = std::pair<std::int64_t, std::int64_t>;

class CoberturaReader {
 public:
  explicit CoberturaReader(const XmlStream& xml) : xml_(xml) {}

  // Reads the <lines> of one <class> into the coverage of its file.
  void read_class(pugi::xml_node element);
  CoverageReport finish() &&;

 private:
  std::int64_t number(pugi::xml_node line, pugi::xml_attribute attribute, const char* name) const;
  LineBranches branches(pugi::xml_node line, std::string_view text) const;

  const XmlStream& xml_;
  CoverageFiles files_;
  // Branches per line of each file, by its path.
  std::map<std::string, std::map<int, LineBranches>> branches_;
};

std::int64_t CoberturaReader::number(pugi::xml_node line, pugi::xml_attribute attribute,
                                     const char* name) const {
  std::int64_t value = 0;
  if (!attribute)
    throw ReportError(xml_.file(), xml_.where(line) + ": <line> has no " + name + " attribute");
  if (!parse_integer(attribute.value(), value) || value < 0)
    throw ReportError(xml_.file(), xml_.where(line) + ": " + name + " \"" + attribute.value() +
                                       "\" of <line> is not a whole number");
  return value;
}

LineBranches CoberturaReader::branches(pugi::xml_node line, std::string_view text) const {
  const std::size_t open = text.find('(');
  const std::size_t slash = text.find('/', open);
  const std::size_t close = text.find(')', slash);
  std::int64_t covered = 0;
  std::int64_t total = 0;
  if (open == std::string_view::npos || slash == std::string_view::npos ||
      close == std::string_view::npos ||
      !parse_integer(text.substr(open + 1, slash - open - 1), covered) ||
      !parse_integer(text.substr(slash + 1, close - slash - 1), total) || covered < 0 ||
      total < covered)
    throw ReportError(xml_.file(), xml_.where(line) + ": condition-coverage \"" +
                                       std::string(text) + "\" is not like \"50% (1/2)\"");
  return {covered, total};
}

void CoberturaReader::read_class(pugi::xml_node element) {
  const pugi::xml_attribute filename = element.attribute("filename");
  if (!filename || *filename.value() == '\0')
    throw ReportError(xml_.file(), xml_.where(element) + ": <class> has no filename");
  FileCoverage& file = files_.at(filename.value());
  std::map<int, LineBranches>& file_branches = branches_[file.path];
  // Only the class's own <lines>: <methods> repeat the same lines (c8 writes
  // both).
  for (pugi::xml_node line : element.child("lines").children("line")) {
    // One pass over the attributes: looking each up by name costs more than
    // the rest of reading a line.
    pugi::xml_attribute number_attribute;
    pugi::xml_attribute hits_attribute;
    bool has_branches = false;
    std::string_view condition_coverage;
    for (pugi::xml_attribute attribute : line.attributes()) {
      const std::string_view name = attribute.name();
      if (name == "number") {
        number_attribute = attribute;
      } else if (name == "hits") {
        hits_attribute = attribute;
      } else if (name == "branch") {
        has_branches = std::string_view(attribute.value()) == "true";
      } else if (name == "condition-coverage") {
        condition_coverage = attribute.value();
      }
    }
    const std::int64_t number_value = number(line, number_attribute, "number");
    if (number_value > std::numeric_limits<int>::max())
      throw ReportError(xml_.file(), xml_.where(line) + ": line number out of range");
    const int line_number = static_cast<int>(number_value);
    const std::int64_t hits = number(line, hits_attribute, "hits");
    // A line named by two classes of one file is one line: the higher count
    // is the truth, not the sum.
    auto [count, added] = line_entry(file.line_hits, line_number);
    count = added ? hits : std::max(count, hits);
    if (has_branches && !condition_coverage.empty()) {
      const LineBranches found = branches(line, condition_coverage);
      auto [branch, branch_added] = file_branches.try_emplace(line_number, found);
      if (!branch_added && found.first > branch->second.first) branch->second = found;
    }
  }
}

CoverageReport CoberturaReader::finish() && {
  for (FileCoverage& file : files_.files()) {
    count_line_hits(file);
    for (const auto& [line, found] : branches_[file.path]) {
      if (!add_count(file.branches_covered, found.first) ||
          !add_count(file.branches_total, found.second))
        throw ReportError(xml_.file(), "the branch counts of " + file.path +
                                           " add up to more than a 64-bit number");
    }
  }
  return std::move(files_).finish(xml_.file(), "cobertura");
}

}  // namespace

CoverageReport parse_cobertura(const std::filesystem::path& file) {
  const std::string first_bytes = read_report_head(file);
  const XmlRootTag head = xml_root_tag(first_bytes);
  if (!head.name.empty() && head.name != "coverage")
    throw ReportError(file, "not a Cobertura report: the root element is <" +
                                std::string(head.name) + ">, not <coverage>");
  if (head.attributes.find("clover=") != std::string_view::npos)
    throw ReportError(file, "a Clover report, not Cobertura");
  // Cobertura files run to hundreds of megabytes: each <class> is parsed on
  // its own as the file streams by, without the PCDATA and whitespace
  // conversions that <line> elements never need (only escapes, for names).
  XmlStream xml(file, "class", pugi::parse_escapes);
  CoberturaReader reader(xml);
  xml.read([&](pugi::xml_node element, std::size_t) { reader.read_class(element); });
  const pugi::xml_node root = xml.root();
  if (std::string_view(root.name()) != "coverage")
    throw ReportError(file, std::string("not a Cobertura report: the root element is <") +
                                root.name() + ">, not <coverage>");
  if (root.attribute("clover") || root.child("project"))
    throw ReportError(file, "a Clover report, not Cobertura");
  return std::move(reader).finish();
}

}  // namespace qgate
