#define _GNU_SOURCE
#include "CProcessSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/// Reports `error` to the parent through the close-on-exec pipe and ends the child. Async-signal-safe.
static void child_fail(int report_fd, int error) {
    ssize_t ignored = write(report_fd, &error, sizeof error);
    (void)ignored;
    _exit(127);
}

/// Makes `fd` the descriptor `target` without close-on-exec. Async-signal-safe.
static int move_to(int fd, int target) {
    if (fd == target) {
        int flags = fcntl(fd, F_GETFD);
        return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    return dup2(fd, target) < 0 ? -1 : 0;
}

/// Moves a descriptor below 3 out of the way of standard input, output and error. Async-signal-safe.
static int lift(int fd) {
    return fd >= 0 && fd < 3 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : fd;
}

/// Closes every descriptor from 3 up except `keep`. Async-signal-safe.
static void close_others(int keep) {
#ifdef SYS_close_range
    if (keep > 3 && syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0U) != 0) goto fallback;
    if (syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U) == 0) return;
fallback:;
#endif
    struct rlimit limit;
    int highest = 65536;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < 65536) {
        highest = (int)limit.rlim_cur;
    }
    for (int fd = 3; fd < highest; fd++) {
        if (fd != keep) close(fd);
    }
}

int oib_spawn(const char *path, char *const argv[], char *const envp[], int input_fd, int output_fd,
              const char *directory, pid_t *pid_out) {
    return oib_spawn_split(path, argv, envp, input_fd, output_fd, output_fd, directory, pid_out);
}

int oib_spawn_split(const char *path, char *const argv[], char *const envp[], int input_fd, int output_fd,
                    int error_fd, const char *directory, pid_t *pid_out) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    pid_t parent = getpid();

    // No handler of this process may run in the child before its dispositions are reset.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t pid = fork();
    if (pid == 0) {
        // Child: async-signal-safe calls only until execve.
        struct sigaction standard;
        for (int number = 1; number < NSIG; number++) {
            if (number == SIGKILL || number == SIGSTOP) continue;
            standard = (struct sigaction){0};
            standard.sa_handler = SIG_DFL;
            sigaction(number, &standard, NULL);  // fails harmlessly for signals reserved by the C library
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int report_fd = lift(report[1]);
        if (report_fd < 0) {
            // Cannot move the report pipe: report through its original descriptor, which still works.
            child_fail(report[1], errno);
        }
        int given_input = input_fd;
        input_fd = lift(input_fd);
        if (given_input >= 0 && input_fd < 0) child_fail(report_fd, errno);
        output_fd = lift(output_fd);
        if (output_fd < 0) child_fail(report_fd, errno);
        error_fd = lift(error_fd);
        if (error_fd < 0) child_fail(report_fd, errno);
        if (setpgid(0, 0) != 0) child_fail(report_fd, errno);
#ifdef __linux__
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(report_fd, errno);
        // The parent may have died between fork and prctl; then nobody would send the signal.
        if (getppid() != parent) _exit(127);
#endif
        if (input_fd >= 0) {
            if (move_to(input_fd, 0) != 0) child_fail(report_fd, errno);
        } else {
            int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (null_fd < 0 || move_to(null_fd, 0) != 0) child_fail(report_fd, errno);
        }
        if (move_to(output_fd, 1) != 0 || move_to(error_fd, 2) != 0) child_fail(report_fd, errno);
        close_others(report_fd);
        if (directory != NULL && chdir(directory) != 0) child_fail(report_fd, errno);
        execve(path, argv, envp);
        child_fail(report_fd, errno);
    }
    int fork_error = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        return fork_error;
    }
    int child_error = 0;
    ssize_t count;
    do {
        count = read(report[0], &child_error, sizeof child_error);
    } while (count < 0 && errno == EINTR);
    close(report[0]);
    if (count != 0) {
        // The child failed before or at execve and has exited: reap it.
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return count == (ssize_t)sizeof child_error && child_error != 0 ? child_error : ECHILD;
    }
    *pid_out = pid;
    return 0;
}
