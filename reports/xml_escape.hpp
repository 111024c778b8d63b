#pragma once
// Text and attribute values for XML and HTML (JUnit files, the report page, its SVG charts).
#include <string>
#include <string_view>

namespace tb {

// &, <, >, " and ' escaped; control characters XML 1.0 forbids (all but tab, newline and
// carriage return) become spaces.
std::string xml_escape(std::string_view s);

}  // namespace tb
