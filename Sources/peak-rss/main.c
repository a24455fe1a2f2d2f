// peak-rss RESULT COMMAND [ARGUMENT...]: runs COMMAND with its output discarded and writes
// "STATUS WALL_NANOSECONDS PEAK_RSS_KIB" to the file RESULT. For the benchmarks (rotord-bench).
//
// Why a separate, small program: Linux counts into a process's peak RSS the peak of the address
// space its exec replaced. A child spawned by a large parent (posix_spawn shares the parent's
// memory until the exec) would report the parent's peak when its own is lower; forked from this
// program, the floor is this program's few hundred KiB.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: peak-rss RESULT COMMAND [ARGUMENT...]\n");
        return 2;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) {
        perror("peak-rss: fork");
        return 1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execv(argv[2], argv + 2);
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {}
    clock_gettime(CLOCK_MONOTONIC, &end);
    long long wall = (long long)(end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *out = fopen(argv[1], "w");
    if (out == NULL) {
        perror("peak-rss: RESULT");
        return 1;
    }
    fprintf(out, "%d %lld %ld\n", code, wall, usage.ru_maxrss);
    return fclose(out) == 0 ? 0 : 1;
}
