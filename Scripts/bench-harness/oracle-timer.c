/*
 * oracle-timer: stands in for sqlplus, rman and the other Oracle programs in a benchmark's ORACLE_HOME/bin. It
 * runs the real program, TARGET_DIR/<its own name> (a link to oracle-sim, so oracle-sim sees the same argv[0]), with
 * the same arguments, environment and descriptors, waits for it, and appends "<start> <end> <name> <status>" to
 * LOG_FILE, times in seconds of CLOCK_MONOTONIC (the clock bench-run uses). Exits with the program's status.
 *
 * TARGET_DIR and LOG_FILE are compiled in (-D), because the tools may hand their children a reduced environment.
 * The interval runs from this wrapper's first instruction to the program's reaping, so the child time it gives is,
 * if anything, slightly too long (the wrapper's own fork and exec: well under a millisecond), and the tool time
 * derived from it slightly too short.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TARGET_DIR
#error "compile with -DTARGET_DIR='\"/path/to/links/\"'"
#endif
#ifndef LOG_FILE
#error "compile with -DLOG_FILE='\"/path/to/children.log\"'"
#endif

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    (void)argc;
    double start = now();
    const char *slash = strrchr(argv[0], '/');
    const char *name = slash ? slash + 1 : argv[0];
    char target[4096];
    snprintf(target, sizeof target, "%s%s", TARGET_DIR, name);
    pid_t pid = fork();
    if (pid < 0) {
        perror("oracle-timer: fork");
        return 127;
    }
    if (pid == 0) {
        execv(target, argv);
        perror(target);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("oracle-timer: waitpid");
            return 127;
        }
    }
    double end = now();
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    char line[512];
    int length = snprintf(line, sizeof line, "%.6f %.6f %s %d\n", start, end, name, code);
    int log = open(LOG_FILE, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (log >= 0) {
        /* One write with O_APPEND: lines of concurrent wrappers do not interleave. */
        if (write(log, line, (size_t)length) < 0) perror(LOG_FILE);
        close(log);
    }
    if (WIFSIGNALED(status)) {
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
    }
    return code;
}
