#include "CCurlLoader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    curl_version_info_data *(*version_info)(CURLversion);
} curl;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512];
static int loaded;
/// Whether the loaded libcurl knows CURLOPT_PROTOCOLS_STR (7.85.0 and later).
static int has_protocols_string;

static void load(void) {
    const char *names[] = {"libcurl.so.4", "libcurl.so", "libcurl-gnutls.so.4", "libcurl.4.dylib", "libcurl.dylib"};
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && library == NULL; i++) {
        library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (library == NULL) {
        snprintf(load_error, sizeof load_error,
                 "libcurl (libcurl.so.4) is not installed, and the storage appliances are reached over HTTPS "
                 "through it: install libcurl4 (Debian/Ubuntu) or libcurl (RHEL and derivatives)");
        return;
    }
#define OIB_BIND(field, symbol)                                                                            \
    do {                                                                                                   \
        *(void **)(&curl.field) = dlsym(library, symbol);                                                  \
        if (curl.field == NULL) {                                                                          \
            snprintf(load_error, sizeof load_error, "libcurl has no %s (too old a libcurl?)", symbol);     \
            return;                                                                                        \
        }                                                                                                  \
    } while (0)
    OIB_BIND(global_init, "curl_global_init");
    OIB_BIND(easy_init, "curl_easy_init");
    OIB_BIND(easy_cleanup, "curl_easy_cleanup");
    OIB_BIND(easy_reset, "curl_easy_reset");
    OIB_BIND(easy_perform, "curl_easy_perform");
    OIB_BIND(easy_strerror, "curl_easy_strerror");
    OIB_BIND(easy_setopt, "curl_easy_setopt");
    OIB_BIND(easy_getinfo, "curl_easy_getinfo");
    OIB_BIND(slist_append, "curl_slist_append");
    OIB_BIND(slist_free_all, "curl_slist_free_all");
    OIB_BIND(version_info, "curl_version_info");
#undef OIB_BIND
    if (curl.global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "libcurl could not initialise (curl_global_init failed)");
        return;
    }
    curl_version_info_data *version = curl.version_info(CURLVERSION_NOW);
    has_protocols_string = version != NULL && version->version_num >= 0x075500;
    loaded = 1;
}

int oib_curl_load(char *error, size_t error_size) {
    pthread_once(&load_once, load);
    if (loaded) return 0;
    if (error != NULL && error_size > 0) snprintf(error, error_size, "%s", load_error);
    return -1;
}

CURL *oib_curl_easy_init(void) { return curl.easy_init(); }
void oib_curl_easy_cleanup(CURL *handle) { curl.easy_cleanup(handle); }
void oib_curl_easy_reset(CURL *handle) { curl.easy_reset(handle); }
CURLcode oib_curl_easy_perform(CURL *handle) { return curl.easy_perform(handle); }
const char *oib_curl_easy_strerror(CURLcode code) { return curl.easy_strerror(code); }
struct curl_slist *oib_curl_slist_append(struct curl_slist *list, const char *text) {
    return curl.slist_append(list, text);
}
void oib_curl_slist_free_all(struct curl_slist *list) { curl.slist_free_all(list); }

CURLcode oib_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode oib_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode oib_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode oib_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode oib_curl_set_headers(CURL *handle, struct curl_slist *headers) {
    return curl.easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
}
CURLcode oib_curl_set_write_callback(CURL *handle, oib_curl_data_callback callback) {
    return curl.easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}
CURLcode oib_curl_set_header_callback(CURL *handle, oib_curl_data_callback callback) {
    return curl.easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}
CURLcode oib_curl_set_progress_callback(CURL *handle, oib_curl_progress_callback callback) {
    CURLcode code = curl.easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
    if (code != CURLE_OK) return code;
    return curl.easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
}
CURLcode oib_curl_allow_only_http(CURL *handle) {
    if (has_protocols_string) return curl.easy_setopt(handle, (CURLoption)10318 /* CURLOPT_PROTOCOLS_STR */, "http,https");
    return curl.easy_setopt(handle, (CURLoption)181 /* CURLOPT_PROTOCOLS */, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
}
CURLcode oib_curl_get_long(CURL *handle, CURLINFO info, long *value) {
    return curl.easy_getinfo(handle, info, value);
}
