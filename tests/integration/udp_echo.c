// SPDX-License-Identifier: GPL-2.0
/*
 * udp_echo PORT COUNT: the guest side of the --net user UDP hostfwd test
 * (busybox has no UDP listener). Sends every datagram on 0.0.0.0:PORT
 * back to its sender, COUNT times, then exits 0. Built static by the
 * test and packed into an extra initramfs.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char buf[65536];
	int fd, n, i;

	if (argc != 3)
		return 2;
	a.sin_port = htons(atoi(argv[1]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("udp_echo");
		return 1;
	}
	printf("UDPLISTEN\n");
	fflush(stdout);
	for (i = 0, n = atoi(argv[2]); i < n; i++) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		ssize_t r = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &len);

		if (r < 0 ||
		    sendto(fd, buf, r, 0, (struct sockaddr *)&from, len) != r) {
			perror("udp_echo");
			return 1;
		}
	}
	return 0;
}
