#include "CLibPQ.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

// Values of libpq's enums that the catalog relies on (stable since PostgreSQL 7).
enum { OIB_CONNECTION_OK = 0, OIB_PGRES_COMMAND_OK = 1, OIB_PGRES_TUPLES_OK = 2 };

static struct {
    void *(*connectdb_params)(const char *const *, const char *const *, int);
    int (*status)(const void *);
    char *(*error_message)(const void *);
    void (*finish)(void *);
    void *(*exec_params)(void *, const char *, int, const void *, const char *const *, const int *, const int *,
                         int);
    int (*result_status)(const void *);
    char *(*result_error_message)(const void *);
    int (*ntuples)(const void *);
    int (*nfields)(const void *);
    char *(*getvalue)(const void *, int, int);
    int (*getisnull)(const void *, int, int);
    void (*clear)(void *);
} pq;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512];
static int loaded;

static void load(void) {
    const char *names[] = {"libpq.so.5", "libpq.so", "libpq.5.dylib", "libpq.dylib"};
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && library == NULL; i++) {
        library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (library == NULL) {
        snprintf(load_error, sizeof load_error,
                 "libpq (the PostgreSQL client library, libpq.so.5) is not installed: install libpq5 "
                 "(Debian/Ubuntu) or libpq (RHEL and derivatives)");
        return;
    }
#define OIB_BIND(field, symbol)                                                                            \
    do {                                                                                                   \
        *(void **)(&pq.field) = dlsym(library, symbol);                                                    \
        if (pq.field == NULL) {                                                                            \
            snprintf(load_error, sizeof load_error, "libpq has no %s (too old a libpq?)", symbol);         \
            return;                                                                                        \
        }                                                                                                  \
    } while (0)
    OIB_BIND(connectdb_params, "PQconnectdbParams");
    OIB_BIND(status, "PQstatus");
    OIB_BIND(error_message, "PQerrorMessage");
    OIB_BIND(finish, "PQfinish");
    OIB_BIND(exec_params, "PQexecParams");
    OIB_BIND(result_status, "PQresultStatus");
    OIB_BIND(result_error_message, "PQresultErrorMessage");
    OIB_BIND(ntuples, "PQntuples");
    OIB_BIND(nfields, "PQnfields");
    OIB_BIND(getvalue, "PQgetvalue");
    OIB_BIND(getisnull, "PQgetisnull");
    OIB_BIND(clear, "PQclear");
#undef OIB_BIND
    loaded = 1;
}

int oib_pq_load(char *error, size_t error_size) {
    pthread_once(&load_once, load);
    if (loaded) return 0;
    if (error != NULL && error_size > 0) {
        snprintf(error, error_size, "%s", load_error);
    }
    return -1;
}

oib_pg_connection *oib_pq_connect(const char *const *keywords, const char *const *values) {
    return (oib_pg_connection *)pq.connectdb_params(keywords, values, 0);
}

int oib_pq_connected(const oib_pg_connection *connection) {
    return connection != NULL && pq.status(connection) == OIB_CONNECTION_OK;
}

const char *oib_pq_connection_error(const oib_pg_connection *connection) {
    return connection == NULL ? "out of memory" : pq.error_message(connection);
}

void oib_pq_finish(oib_pg_connection *connection) {
    if (connection != NULL) pq.finish(connection);
}

oib_pg_result *oib_pq_execute(oib_pg_connection *connection, const char *command, int parameter_count,
                              const char *const *parameter_values) {
    return (oib_pg_result *)pq.exec_params(connection, command, parameter_count, NULL, parameter_values, NULL,
                                           NULL, 0);
}

int oib_pq_succeeded(const oib_pg_result *result) {
    if (result == NULL) return 0;
    int status = pq.result_status(result);
    return status == OIB_PGRES_COMMAND_OK || status == OIB_PGRES_TUPLES_OK;
}

const char *oib_pq_result_error(const oib_pg_result *result) {
    return result == NULL ? "no result (connection lost or out of memory)" : pq.result_error_message(result);
}

int oib_pq_row_count(const oib_pg_result *result) { return result == NULL ? 0 : pq.ntuples(result); }

int oib_pq_column_count(const oib_pg_result *result) { return result == NULL ? 0 : pq.nfields(result); }

const char *oib_pq_value(const oib_pg_result *result, int row, int column) {
    if (pq.getisnull(result, row, column)) return NULL;
    return pq.getvalue(result, row, column);
}

void oib_pq_clear(oib_pg_result *result) {
    if (result != NULL) pq.clear(result);
}
