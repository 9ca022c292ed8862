/*
 * xdp-traffic.c: UDP traffic for the XDP integration tests and benchmark.
 *
 *   xdp-traffic send DST PORT[-PORT] [-n COUNT] [-t SECS] [-r PPS] [-s LEN]
 *	sends COUNT packets (or for SECS) round-robin over the ports, paced
 *	at PPS if given; prints "sent N" (packets the kernel accepted).
 *   xdp-traffic recv PORT[-PORT] -t SECS [-6]
 *	counts datagrams per port for SECS; prints "port P N" per port and
 *	"received N".
 *   xdp-traffic flood IFACE DST PORT -t SECS
 *	as fast as it can: one prebuilt UDP frame through an AF_PACKET socket
 *	(qdisc bypassed, sendmmsg batches); prints "sent N" and "pps N".
 * Test addresses only (198.18.0.0/15, 2001:db8::/32): callers pick them.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS	64

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: xdp-traffic send DST PORT[-PORT] [-n COUNT] "
	    "[-t SECS] [-r PPS] [-s LEN]\n"
	    "       xdp-traffic recv PORT[-PORT] -t SECS [-6]\n"
	    "       xdp-traffic flood IFACE DST PORT -t SECS\n");
	exit(2);
}

static void
parse_ports(const char *s, int *lo, int *hi)
{
	char *end;

	*lo = strtol(s, &end, 10);
	*hi = *end == '-' ? strtol(end + 1, &end, 10) : *lo;
	if (*end || *lo <= 0 || *hi > 65535 || *lo > *hi ||
	    *hi - *lo >= MAX_PORTS)
		usage();
}

static int
do_send(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	char payload[1500];
	long count = -1, sent = 0, attempts = 0;
	double secs = 0, rate = 0, t0, t;
	int lo, hi, port, fd, ch, len = 64;

	if (argc < 3)
		usage();
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, argv[1], &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, argv[1], &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		sl = sizeof(*s6);
	} else
		usage();
	parse_ports(argv[2], &lo, &hi);
	optind = 3;
	while ((ch = getopt(argc, argv, "n:r:s:t:")) != -1) {
		switch (ch) {
		case 'n': count = atol(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 's': len = atoi(optarg); break;
		case 't': secs = atof(optarg); break;
		default: usage();
		}
	}
	if ((count < 0 && secs <= 0) || len < 0 || len > (int)sizeof(payload))
		usage();
	if ((fd = socket(ss.ss_family, SOCK_DGRAM, 0)) < 0) {
		perror("socket");
		return 1;
	}
	memset(payload, 0x5a, sizeof(payload));
	t0 = now();
	port = lo;
	for (;;) {
		if (count >= 0 && attempts >= count)
			break;
		t = now() - t0;
		if (secs > 0 && t >= secs)
			break;
		if (rate > 0 && attempts > t * rate) {
			/* ahead of the pace: yield a little */
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
			continue;
		}
		if (ss.ss_family == AF_INET)
			s4->sin_port = htons(port);
		else
			s6->sin6_port = htons(port);
		attempts++;
		if (sendto(fd, payload, len, 0, (struct sockaddr *)&ss, sl) ==
		    len)
			sent++;
		else if (errno == ENOBUFS || errno == EAGAIN) {
			/* the queue is full: the packet never left; retry */
			attempts--;
			continue;
		}
		if (++port > hi)
			port = lo;
	}
	printf("sent %ld\n", sent);
	return 0;
}

static int
do_recv(int argc, char **argv)
{
	struct pollfd pfd[MAX_PORTS];
	long counts[MAX_PORTS] = { 0 }, total = 0;
	char buf[2048];
	double secs = 0, end;
	int lo, hi, i, n, ch, v6 = 0, size = 64 << 20;

	if (argc < 2)
		usage();
	parse_ports(argv[1], &lo, &hi);
	optind = 2;
	while ((ch = getopt(argc, argv, "6t:")) != -1) {
		switch (ch) {
		case '6': v6 = 1; break;
		case 't': secs = atof(optarg); break;
		default: usage();
		}
	}
	if (secs <= 0)
		usage();
	n = hi - lo + 1;
	for (i = 0; i < n; i++) {
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
		    .sin6_port = htons(lo + i), .sin6_addr = in6addr_any };
		struct sockaddr_in a4 = { .sin_family = AF_INET,
		    .sin_port = htons(lo + i) };

		pfd[i].fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
		pfd[i].events = POLLIN;
		setsockopt(pfd[i].fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
		    sizeof(size));
		if (pfd[i].fd < 0 || bind(pfd[i].fd, v6 ?
		    (struct sockaddr *)&a6 : (struct sockaddr *)&a4,
		    v6 ? sizeof(a6) : sizeof(a4)) != 0) {
			perror("bind");
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	end = now() + secs;
	while (now() < end) {
		if (poll(pfd, n, 50) <= 0)
			continue;
		for (i = 0; i < n; i++)
			while (recv(pfd[i].fd, buf, sizeof(buf),
			    MSG_DONTWAIT) >= 0) {
				counts[i]++;
				total++;
			}
	}
	for (i = 0; i < n; i++)
		printf("port %d %ld\n", lo + i, counts[i]);
	printf("received %ld\n", total);
	return 0;
}

#define FLOOD_BATCH	64

static int
do_flood(int argc, char **argv)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET };
	struct mmsghdr msgs[FLOOD_BATCH];
	struct iovec iov;
	uint8_t frame[64] = { 0 }, *ip = frame + 14, *udp = frame + 34;
	double secs = 0, t0, t;
	long sent = 0;
	int fd, one = 1, ch, i, n;
	uint32_t sum = 0;

	if (argc < 4)
		usage();
	optind = 4;
	while ((ch = getopt(argc, argv, "t:")) != -1) {
		if (ch != 't')
			usage();
		secs = atof(optarg);
	}
	if (secs <= 0)
		usage();
	if ((ll.sll_ifindex = if_nametoindex(argv[1])) == 0) {
		perror(argv[1]);
		return 1;
	}
	/* broadcast: the XDP program under test never looks at MACs */
	memset(frame, 0xff, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
	frame[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 36;		/* total length: 20 + 8 + 8 bytes of data */
	ip[8] = 64;
	ip[9] = 17;
	inet_pton(AF_INET, "198.18.0.1", ip + 12);
	if (inet_pton(AF_INET, argv[2], ip + 16) != 1)
		usage();
	for (i = 0; i < 20; i += 2)
		sum += ip[i] << 8 | ip[i + 1];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = ~((sum & 0xffff) + (sum >> 16)) & 0xffff;
	ip[10] = sum >> 8;
	ip[11] = sum & 0xff;
	udp[0] = 0x9c;
	udp[1] = 0x40;
	udp[2] = atoi(argv[3]) >> 8;
	udp[3] = atoi(argv[3]) & 0xff;
	udp[5] = 16;

	if ((fd = socket(AF_PACKET, SOCK_RAW, 0)) < 0) {
		perror("socket");
		return 1;
	}
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	iov.iov_base = frame;
	iov.iov_len = 60;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < FLOOD_BATCH; i++) {
		msgs[i].msg_hdr.msg_name = &ll;
		msgs[i].msg_hdr.msg_namelen = sizeof(ll);
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now();
	do {
		if ((n = sendmmsg(fd, msgs, FLOOD_BATCH, 0)) > 0)
			sent += n;
		t = now() - t0;
	} while (t < secs);
	printf("sent %ld\npps %.0f\n", sent, sent / t);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "send") == 0)
		return do_send(argc - 1, argv + 1);
	if (strcmp(argv[1], "recv") == 0)
		return do_recv(argc - 1, argv + 1);
	if (strcmp(argv[1], "flood") == 0)
		return do_flood(argc - 1, argv + 1);
	usage();
	return 2;
}
