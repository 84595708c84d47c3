/*
 * bench-run RESULT COMMAND [ARGUMENT...]
 *
 * Runs COMMAND and writes one line to RESULT: "<start> <end> <peak-kB> <exit-status>", start and end in seconds of
 * CLOCK_MONOTONIC (the clock oracle-timer uses, so the intervals compare), peak-kB the VmHWM of COMMAND's own
 * process. Exits with COMMAND's status.
 *
 * Why not /usr/bin/time or wait4: the rusage of a waited-for child reports the largest of the child and its own
 * waited-for descendants, so a backup that starts a 60 MB sqlplus would be charged 60 MB. Here COMMAND is traced
 * (ptrace, exit events only; its children are not traced) and stopped as it exits, while its memory still exists;
 * VmHWM in /proc/<pid>/status is then the peak resident set of that process alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* VmHWM of a process in kB, -1 when it cannot be read. */
static long peak_kilobytes(pid_t pid) {
    char path[64], line[256];
    long kilobytes = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *status = fopen(path, "r");
    if (!status) return -1;
    while (fgets(line, sizeof line, status))
        if (strncmp(line, "VmHWM:", 6) == 0) kilobytes = strtol(line + 6, NULL, 10);
    fclose(status);
    return kilobytes;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s RESULT COMMAND [ARGUMENT...]\n", argv[0]);
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 127;
    }
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) {
            perror("ptrace");
            _exit(127);
        }
        raise(SIGSTOP);
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFSTOPPED(status)) {
        fprintf(stderr, "bench-run: %s did not start under ptrace\n", argv[2]);
        return 127;
    }
    ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL));
    double start = now();
    long peak = -1;
    ptrace(PTRACE_CONT, pid, NULL, NULL);
    for (;;) {
        if (waitpid(pid, &status, 0) < 0) {
            if (errno == EINTR) continue;
            perror("waitpid");
            return 127;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) break;
        int event = status >> 16;
        if (event == PTRACE_EVENT_EXIT) peak = peak_kilobytes(pid);
        /* Event stops resume quietly; a signal stop passes its signal on (SIGCHLD, SIGPIPE, ...). */
        ptrace(PTRACE_CONT, pid, NULL, (void *)(long)(event ? 0 : WSTOPSIG(status)));
    }
    double end = now();
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *result = fopen(argv[1], "w");
    if (!result) {
        perror(argv[1]);
        return 127;
    }
    fprintf(result, "%.6f %.6f %ld %d\n", start, end, peak, code);
    fclose(result);
    return code;
}
