#ifndef OIB_CPROCESSSPAWN_H
#define OIB_CPROCESSSPAWN_H

#include <sys/types.h>

/// Starts `path` as a child that cannot outlive this process.
///
/// The child gets its own process group, the parent-death signal SIGKILL (Linux), default signal dispositions, an
/// empty signal mask, `input_fd` (or /dev/null when negative) as standard input, `output_fd` as standard output
/// and error, no other descriptor, and `directory` (when not NULL) as working directory.
///
/// The parent-death signal fires when the *thread* that forked ends, so call this only from a thread that lives
/// as long as the process.
///
/// Returns 0 and the child's pid in `pid_out` once `execve` succeeded; otherwise an errno value (the child's
/// `execve` or set-up error, e.g. ENOENT, EACCES, ETXTBSY), and no child is left behind.
int oib_spawn(const char *path, char *const argv[], char *const envp[], int input_fd, int output_fd,
              const char *directory, pid_t *pid_out);

/// As `oib_spawn`, but standard error goes to `error_fd` (which may equal `output_fd`) instead of `output_fd`.
int oib_spawn_split(const char *path, char *const argv[], char *const envp[], int input_fd, int output_fd,
                    int error_fd, const char *directory, pid_t *pid_out);

#endif
