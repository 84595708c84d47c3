// The system libcurl for Swift. curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call, so
// this header gives each argument type its own small inline function.
#ifndef OIB_CCURL_H
#define OIB_CCURL_H

#include <curl/curl.h>

/// Signature of libcurl's write and header callbacks.
typedef size_t (*oib_curl_data_callback)(char *data, size_t size, size_t count, void *context);
/// Signature of libcurl's progress (transfer information) callback.
typedef int (*oib_curl_progress_callback)(void *context, curl_off_t download_total, curl_off_t downloaded,
                                          curl_off_t upload_total, curl_off_t uploaded);

static inline CURLcode oib_curl_global_init(void) { return curl_global_init(CURL_GLOBAL_ALL); }

static inline CURLcode oib_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode oib_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode oib_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode oib_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode oib_curl_set_headers(CURL *handle, struct curl_slist *headers) {
    return curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
}

static inline CURLcode oib_curl_set_write_callback(CURL *handle, oib_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

static inline CURLcode oib_curl_set_header_callback(CURL *handle, oib_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}

static inline CURLcode oib_curl_set_progress_callback(CURL *handle, oib_curl_progress_callback callback) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
    if (code != CURLE_OK) return code;
    return curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
}

/// Allows only http and https (no file:, ftp:, … even through a crafted URL); older libcurl has only the bitmask.
static inline CURLcode oib_curl_allow_only_http(CURL *handle) {
#if LIBCURL_VERSION_NUM >= 0x075500
    return curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    return curl_easy_setopt(handle, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

static inline CURLcode oib_curl_get_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
