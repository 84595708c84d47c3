// libcurl loaded on first use (dlopen), with one function per argument type of the variadic curl_easy_setopt and
// curl_easy_getinfo, which Swift cannot call. Call oib_curl_load first; the other functions require it to have
// returned 0.
#ifndef OIB_CCURL_LOADER_H
#define OIB_CCURL_LOADER_H

#include <stddef.h>
#include <curl/curl.h>

/// Signature of libcurl's write and header callbacks.
typedef size_t (*oib_curl_data_callback)(char *data, size_t size, size_t count, void *context);
/// Signature of libcurl's progress (transfer information) callback.
typedef int (*oib_curl_progress_callback)(void *context, curl_off_t download_total, curl_off_t downloaded,
                                          curl_off_t upload_total, curl_off_t uploaded);

/// Loads libcurl (libcurl.so.4, then libcurl.so) and runs curl_global_init, once per process. Returns 0 when usable;
/// otherwise writes why into `error` and returns -1.
int oib_curl_load(char *error, size_t error_size);

CURL *oib_curl_easy_init(void);
void oib_curl_easy_cleanup(CURL *handle);
void oib_curl_easy_reset(CURL *handle);
CURLcode oib_curl_easy_perform(CURL *handle);
const char *oib_curl_easy_strerror(CURLcode code);
struct curl_slist *oib_curl_slist_append(struct curl_slist *list, const char *text);
void oib_curl_slist_free_all(struct curl_slist *list);

CURLcode oib_curl_set_long(CURL *handle, CURLoption option, long value);
CURLcode oib_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value);
CURLcode oib_curl_set_string(CURL *handle, CURLoption option, const char *value);
CURLcode oib_curl_set_pointer(CURL *handle, CURLoption option, void *value);
CURLcode oib_curl_set_headers(CURL *handle, struct curl_slist *headers);
CURLcode oib_curl_set_write_callback(CURL *handle, oib_curl_data_callback callback);
CURLcode oib_curl_set_header_callback(CURL *handle, oib_curl_data_callback callback);
CURLcode oib_curl_set_progress_callback(CURL *handle, oib_curl_progress_callback callback);
/// Allows only http and https (no file:, ftp:, … even through a crafted URL).
CURLcode oib_curl_allow_only_http(CURL *handle);
CURLcode oib_curl_get_long(CURL *handle, CURLINFO info, long *value);

#endif
