// libxml2, loaded with dlopen when the first ZAPI request is built: tools that never speak ONTAP's ZAPI neither map
// libxml2 nor need it. Only its text writer and text reader are used, through opaque handles, so no libxml2 header
// is needed to build (they live in /usr/include/libxml2, off the compiler's default path; see decisions.md).
#ifndef OIB_CLIBXML2_H
#define OIB_CLIBXML2_H

#include <stddef.h>

/// A document being written into memory (libxml2's xmlTextWriter on an xmlBuffer).
typedef struct oib_xml_writer oib_xml_writer;
/// A document being read from memory (libxml2's xmlTextReader).
typedef struct oib_xml_reader oib_xml_reader;

/// Loads libxml2 (libxml2.so.2, then libxml2.so) once per process. Returns 0 when it is usable; otherwise writes
/// why into `error` and returns -1.
int oib_xml_load(char *error, size_t error_size);

/// A new UTF-8 document with its XML declaration written; NULL when out of memory.
oib_xml_writer *oib_xml_writer_new(void);
/// Opens element `name`. Returns a negative value on failure (as every writer call).
int oib_xml_writer_start(oib_xml_writer *writer, const char *name);
/// Adds attribute `name` with `value` (escaped by libxml2) to the open element.
int oib_xml_writer_attribute(oib_xml_writer *writer, const char *name, const char *value);
/// Writes `text` (escaped by libxml2) into the open element.
int oib_xml_writer_text(oib_xml_writer *writer, const char *text);
/// Closes the innermost open element.
int oib_xml_writer_end(oib_xml_writer *writer);
/// Ends the document and returns its bytes (owned by the writer, valid until oib_xml_writer_free) and their count
/// in `length`; NULL on failure.
const char *oib_xml_writer_finish(oib_xml_writer *writer, int *length);
/// Frees the writer and its bytes.
void oib_xml_writer_free(oib_xml_writer *writer);

/// A reader over `length` bytes (copied by libxml2 as needed; the bytes must live until the reader is freed).
/// Never resolves external entities or fetches anything from the network. NULL on failure.
oib_xml_reader *oib_xml_reader_new(const char *bytes, int length);
/// Moves to the next node: 1 when there is one, 0 at the end, -1 on a parse error.
int oib_xml_reader_read(oib_xml_reader *reader);
/// The node's type: 1 element, 2 attribute, 3 text, 4 CDATA, 14 significant white space, 15 end of element.
int oib_xml_reader_node_type(oib_xml_reader *reader);
/// The node's local name (owned by the reader), NULL if none.
const char *oib_xml_reader_name(oib_xml_reader *reader);
/// The node's text value (owned by the reader), NULL if none.
const char *oib_xml_reader_value(oib_xml_reader *reader);
/// 1 when the current element is empty (`<a/>`).
int oib_xml_reader_is_empty(oib_xml_reader *reader);
/// Moves to the element's next attribute: 1 when there is one, 0 when none is left.
int oib_xml_reader_next_attribute(oib_xml_reader *reader);
/// Moves back from an attribute to its element.
int oib_xml_reader_to_element(oib_xml_reader *reader);
/// Frees the reader.
void oib_xml_reader_free(oib_xml_reader *reader);

#endif
