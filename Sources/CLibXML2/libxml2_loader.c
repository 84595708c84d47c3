#include "CLibXML2.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

// libxml2's handles are opaque here: its functions are declared with void pointers and `char` strings (its xmlChar
// is an unsigned char holding UTF-8), which is all its text writer and reader need.
static struct {
    void *(*buffer_create)(void);
    void (*buffer_free)(void *);
    const char *(*buffer_content)(const void *);
    int (*buffer_length)(const void *);
    void *(*new_writer_memory)(void *, int);
    int (*start_document)(void *, const char *, const char *, const char *);
    int (*start_element)(void *, const char *);
    int (*write_attribute)(void *, const char *, const char *);
    int (*write_string)(void *, const char *);
    int (*end_element)(void *);
    int (*end_document)(void *);
    void (*free_writer)(void *);
    void *(*reader_for_memory)(const char *, int, const char *, const char *, int);
    int (*read)(void *);
    int (*node_type)(void *);
    const char *(*local_name)(void *);
    const char *(*value)(void *);
    int (*is_empty)(void *);
    int (*next_attribute)(void *);
    int (*to_element)(void *);
    void (*free_reader)(void *);
} xml;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512];
static int loaded;

static void load(void) {
    const char *names[] = {"libxml2.so.2", "libxml2.so", "libxml2.2.dylib", "libxml2.dylib"};
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && library == NULL; i++) {
        library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (library == NULL) {
        snprintf(load_error, sizeof load_error,
                 "libxml2 (libxml2.so.2) is not installed, and ONTAP's ZAPI is spoken through it: install libxml2 "
                 "(Debian/Ubuntu, RHEL and derivatives)");
        return;
    }
#define OIB_BIND(field, symbol)                                                                            \
    do {                                                                                                   \
        *(void **)(&xml.field) = dlsym(library, symbol);                                                   \
        if (xml.field == NULL) {                                                                           \
            snprintf(load_error, sizeof load_error, "libxml2 has no %s (too old a libxml2?)", symbol);     \
            return;                                                                                        \
        }                                                                                                  \
    } while (0)
    // libxml2 initialises its globals lazily, and two threads doing so at once can crash it (its documentation:
    // call xmlInitParser once before using it from several threads). pthread_once makes this call the only one.
    void (*init_parser)(void) = NULL;
    *(void **)(&init_parser) = dlsym(library, "xmlInitParser");
    if (init_parser == NULL) {
        snprintf(load_error, sizeof load_error, "libxml2 has no xmlInitParser (too old a libxml2?)");
        return;
    }
    init_parser();
    OIB_BIND(buffer_create, "xmlBufferCreate");
    OIB_BIND(buffer_free, "xmlBufferFree");
    OIB_BIND(buffer_content, "xmlBufferContent");
    OIB_BIND(buffer_length, "xmlBufferLength");
    OIB_BIND(new_writer_memory, "xmlNewTextWriterMemory");
    OIB_BIND(start_document, "xmlTextWriterStartDocument");
    OIB_BIND(start_element, "xmlTextWriterStartElement");
    OIB_BIND(write_attribute, "xmlTextWriterWriteAttribute");
    OIB_BIND(write_string, "xmlTextWriterWriteString");
    OIB_BIND(end_element, "xmlTextWriterEndElement");
    OIB_BIND(end_document, "xmlTextWriterEndDocument");
    OIB_BIND(free_writer, "xmlFreeTextWriter");
    OIB_BIND(reader_for_memory, "xmlReaderForMemory");
    OIB_BIND(read, "xmlTextReaderRead");
    OIB_BIND(node_type, "xmlTextReaderNodeType");
    OIB_BIND(local_name, "xmlTextReaderConstLocalName");
    OIB_BIND(value, "xmlTextReaderConstValue");
    OIB_BIND(is_empty, "xmlTextReaderIsEmptyElement");
    OIB_BIND(next_attribute, "xmlTextReaderMoveToNextAttribute");
    OIB_BIND(to_element, "xmlTextReaderMoveToElement");
    OIB_BIND(free_reader, "xmlFreeTextReader");
#undef OIB_BIND
    loaded = 1;
}

int oib_xml_load(char *error, size_t error_size) {
    pthread_once(&load_once, load);
    if (loaded) return 0;
    if (error != NULL && error_size > 0) snprintf(error, error_size, "%s", load_error);
    return -1;
}

struct oib_xml_writer {
    void *buffer;
    void *writer;
};

oib_xml_writer *oib_xml_writer_new(void) {
    oib_xml_writer *result = calloc(1, sizeof *result);
    if (result == NULL) return NULL;
    result->buffer = xml.buffer_create();
    result->writer = result->buffer != NULL ? xml.new_writer_memory(result->buffer, 0) : NULL;
    if (result->writer == NULL || xml.start_document(result->writer, "1.0", "UTF-8", NULL) < 0) {
        oib_xml_writer_free(result);
        return NULL;
    }
    return result;
}

int oib_xml_writer_start(oib_xml_writer *writer, const char *name) { return xml.start_element(writer->writer, name); }
int oib_xml_writer_attribute(oib_xml_writer *writer, const char *name, const char *value) {
    return xml.write_attribute(writer->writer, name, value);
}
int oib_xml_writer_text(oib_xml_writer *writer, const char *text) { return xml.write_string(writer->writer, text); }
int oib_xml_writer_end(oib_xml_writer *writer) { return xml.end_element(writer->writer); }

const char *oib_xml_writer_finish(oib_xml_writer *writer, int *length) {
    if (writer->writer == NULL) return NULL;
    int ended = xml.end_document(writer->writer);
    // Freeing the writer flushes it into the buffer; the buffer stays.
    xml.free_writer(writer->writer);
    writer->writer = NULL;
    if (ended < 0) return NULL;
    *length = xml.buffer_length(writer->buffer);
    return xml.buffer_content(writer->buffer);
}

void oib_xml_writer_free(oib_xml_writer *writer) {
    if (writer == NULL) return;
    if (writer->writer != NULL) xml.free_writer(writer->writer);
    if (writer->buffer != NULL) xml.buffer_free(writer->buffer);
    free(writer);
}

// XML_PARSE_NONET (2048): never fetch anything; entities are not substituted (no XML_PARSE_NOENT) and no external
// DTD is loaded. XML_PARSE_NOERROR (32) and XML_PARSE_NOWARNING (64): a bad answer is the caller's error to
// report, not text on the tool's standard error.
oib_xml_reader *oib_xml_reader_new(const char *bytes, int length) {
    return xml.reader_for_memory(bytes, length, NULL, NULL, 2048 | 32 | 64);
}
int oib_xml_reader_read(oib_xml_reader *reader) { return xml.read(reader); }
int oib_xml_reader_node_type(oib_xml_reader *reader) { return xml.node_type(reader); }
const char *oib_xml_reader_name(oib_xml_reader *reader) { return xml.local_name(reader); }
const char *oib_xml_reader_value(oib_xml_reader *reader) { return xml.value(reader); }
int oib_xml_reader_is_empty(oib_xml_reader *reader) { return xml.is_empty(reader); }
int oib_xml_reader_next_attribute(oib_xml_reader *reader) { return xml.next_attribute(reader); }
int oib_xml_reader_to_element(oib_xml_reader *reader) { return xml.to_element(reader); }
void oib_xml_reader_free(oib_xml_reader *reader) { xml.free_reader(reader); }
