// libpq (the PostgreSQL client library), loaded with dlopen on first use: the tools start and run without it,
// and only a configured PostgreSQL results catalog needs it installed. Declares only what the catalog uses.
#ifndef OIB_CLIBPQ_H
#define OIB_CLIBPQ_H

#include <stddef.h>

typedef struct oib_pg_connection oib_pg_connection;
typedef struct oib_pg_result oib_pg_result;

/// Loads libpq (libpq.so.5, then libpq.so) once per process. Returns 0 when it is usable; otherwise writes why
/// into `error` and returns -1.
int oib_pq_load(char *error, size_t error_size);

/// PQconnectdbParams with a NULL-terminated keyword list; never returns NULL when loaded (out of memory aside).
oib_pg_connection *oib_pq_connect(const char *const *keywords, const char *const *values);
/// 1 when the connection is established (CONNECTION_OK).
int oib_pq_connected(const oib_pg_connection *connection);
/// The connection's last error message (libpq owns the text).
const char *oib_pq_connection_error(const oib_pg_connection *connection);
/// PQfinish.
void oib_pq_finish(oib_pg_connection *connection);

/// PQexecParams with text parameters (NULL for SQL NULL) and text results.
oib_pg_result *oib_pq_execute(oib_pg_connection *connection, const char *command, int parameter_count,
                              const char *const *parameter_values);
/// 1 when the statement succeeded (PGRES_COMMAND_OK or PGRES_TUPLES_OK).
int oib_pq_succeeded(const oib_pg_result *result);
/// The statement's error message, empty when it succeeded.
const char *oib_pq_result_error(const oib_pg_result *result);
/// Number of rows.
int oib_pq_row_count(const oib_pg_result *result);
/// Number of columns.
int oib_pq_column_count(const oib_pg_result *result);
/// The value at `row`, `column` as text; NULL for SQL NULL.
const char *oib_pq_value(const oib_pg_result *result, int row, int column);
/// PQclear.
void oib_pq_clear(oib_pg_result *result);

#endif
