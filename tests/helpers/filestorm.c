// SPDX-License-Identifier: GPL-2.0-only
/*
 * File storm: N opens of FILE, one after the other, each closed at once.
 * "ro": read-only opens (what the kernel side must filter at no cost);
 * "wr": open for write, write one byte, close (one file event each).
 * Prints the elapsed time in ns. Used by `make bench`.
 * usage: filestorm ro|wr N FILE
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	long n, i;
	int wr, fd;

	if (argc != 4 || (strcmp(argv[1], "ro") && strcmp(argv[1], "wr")) || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: filestorm ro|wr N FILE\n");
		return 2;
	}
	wr = !strcmp(argv[1], "wr");
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		fd = open(argv[3], wr ? O_WRONLY | O_CREAT : O_RDONLY, 0600);
		if (fd < 0) {
			perror(argv[3]);
			return 1;
		}
		if (wr && write(fd, "x", 1) != 1) {
			perror("write");
			return 1;
		}
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
	return 0;
}
