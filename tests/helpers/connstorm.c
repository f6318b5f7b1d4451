// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loopback connect storm, used by `make bench`. Prints the elapsed time in ns.
 * "tcp": N cycles of socket, connect to a listener of this process on
 *        127.0.0.1, accept, close both (a connect and an accept event each);
 * "udp": N datagrams from one socket to one bound receiver on 127.0.0.1
 *        (one send event in all: the destination is new only once).
 * usage: connstorm tcp|udp N
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int bound(int type, struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, type, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof(*sa)) ||
	    getsockname(fd, (struct sockaddr *)sa, &len) || (type == SOCK_STREAM && listen(fd, 64))) {
		perror("connstorm: listener");
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct timespec a, b;
	long n, i;
	int tcp, l, c, s;

	if (argc != 3 || (strcmp(argv[1], "tcp") && strcmp(argv[1], "udp")) || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: connstorm tcp|udp N\n");
		return 2;
	}
	tcp = !strcmp(argv[1], "tcp");
	l = bound(tcp ? SOCK_STREAM : SOCK_DGRAM, &sa);
	s = tcp ? -1 : socket(AF_INET, SOCK_DGRAM, 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		if (!tcp) {
			if (sendto(s, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)) != 1) {
				perror("connstorm: sendto");
				return 1;
			}
			continue;
		}
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa))) {
			perror("connstorm: connect");
			return 1;
		}
		s = accept(l, NULL, NULL);
		if (s < 0) {
			perror("connstorm: accept");
			return 1;
		}
		/* The accepted side closes first: the client's port does not
		 * linger in TIME_WAIT, so N is not bounded by the port range. */
		close(s);
		close(c);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
	return 0;
}
