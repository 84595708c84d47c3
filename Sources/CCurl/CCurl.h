// The system libcurl's declarations (types and constants) for Swift and for CCurlLoader. Nothing here is linked:
// CCurlLoader loads libcurl with dlopen when the first HTTP request is made, so a tool that never talks HTTP (local
// storage, btrfs, --help) neither maps libcurl and its thirty dependencies nor needs them installed.
#ifndef OIB_CCURL_H
#define OIB_CCURL_H

#include <curl/curl.h>

#endif
