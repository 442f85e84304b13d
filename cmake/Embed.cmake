# qgate_embed(target files...): compiles each file into the target as a
# string_view, reachable through runner/core/embedded.hpp by its relative path.
function(qgate_embed target)
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/generated/embedded/${target})
  set(entries "")
  set(sources "")
  set(index 0)
  foreach(rel IN LISTS ARGN)
    set(src ${CMAKE_CURRENT_SOURCE_DIR}/${rel})
    set(cpp ${out_dir}/embed_${index}.cpp)
    add_custom_command(OUTPUT ${cpp}
      COMMAND ${CMAKE_COMMAND} -DIN=${src} -DOUT=${cpp} -DSYMBOL=qgate_embed_${target}_${index}
              -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/EmbedFile.cmake
      DEPENDS ${src} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/EmbedFile.cmake VERBATIM)
    list(APPEND sources ${cpp})
    string(APPEND decls "extern const unsigned char qgate_embed_${target}_${index}[]; extern const unsigned long qgate_embed_${target}_${index}_size;\n")
    string(APPEND entries "    {\"${rel}\", std::string_view(reinterpret_cast<const char*>(qgate_embed_${target}_${index}), qgate_embed_${target}_${index}_size)},\n")
    math(EXPR index "${index} + 1")
  endforeach()
  file(WRITE ${out_dir}/index.cpp.in
"#include \"runner/core/embedded.hpp\"\n#include <array>\n#include <utility>\n${decls}\nnamespace qgate {\nstd::optional<std::string_view> embedded_file(std::string_view path) {\n  static const std::pair<std::string_view, std::string_view> files[] = {\n${entries}  };\n  for (const auto& [name, text] : files) {\n    if (name == path) return text;\n  }\n  return std::nullopt;\n}\n}  // namespace qgate\n")
  configure_file(${out_dir}/index.cpp.in ${out_dir}/index.cpp COPYONLY)
  target_sources(${target} PRIVATE ${sources} ${out_dir}/index.cpp)
endfunction()
