#pragma once
// What the first bytes of a report show it to be when it is none of the
// formats qgate reads, so that detection says so instead of guessing.
#include <string>
#include <string_view>

namespace qgate {

// Returns what `head`, the first bytes of a file, shows it to be when it is
// a kind of report qgate does not read though it is shaped like one it
// reads (bandit's XML is JUnit-shaped), e.g. "bandit's findings (bandit -f
// xml)"; "" when it is none of those.
std::string foreign_report_kind(std::string_view head);

// Returns what `head` looks like, for a message about a file of no format
// qgate reads: a foreign kind as above, "XML with the root element <x>",
// "JSON", "binary data" or "text".
std::string describe_report_head(std::string_view head);

}  // namespace qgate
