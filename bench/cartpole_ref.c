/* A plain C loop of CartPole-v1's dynamics: the reference that
 * `xlrl bench env`'s single-core figure is compared with (bench/env_peers.py
 * compiles it with `cc -O2 -std=c11` and runs it in the same run).
 *
 * Same work per step as xlrl's RandomSteps loop: a random action from
 * SplitMix64, Gymnasium's explicit-Euler update (libm sin and cos, as NumPy
 * and Python call), the termination test, the observation rounded to float32
 * into a buffer, the 500-step time limit and a reset drawing four uniforms.
 * -std=c11 keeps multiplications and additions rounded one by one (no
 * contraction into FMAs), as in Python.
 *
 *     cc -O2 -std=c11 -o cartpole_ref bench/cartpole_ref.c -lm
 *     ./cartpole_ref [min_seconds]   -> one JSON line: steps per second of
 *                                       wall time and of CPU time
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t rng_state;

static inline uint64_t splitmix(void) {
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline double uniform(double lo, double hi) {
	return lo + (hi - lo) * ((double)(splitmix() >> 11) * 0x1p-53);
}

static double clock_seconds(clockid_t id) {
	struct timespec t;
	clock_gettime(id, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double now(void) { return clock_seconds(CLOCK_MONOTONIC); }

int main(int argc, char **argv) {
	const double min_seconds = argc > 1 ? atof(argv[1]) : 1.0;
	const double gravity = 9.8, masscart = 1.0, masspole = 0.1;
	const double total_mass = masspole + masscart, length = 0.5;
	const double polemass_length = masspole * length, force_mag = 10.0, tau = 0.02;
	const double theta_limit = 12 * 2 * 3.141592653589793 / 360, x_limit = 2.4;
	double x, x_dot, theta, theta_dot;
	float obs[4];
	double checksum = 0;
	uint64_t steps = 0;
	int elapsed = 0, terminated_before = 0;
	rng_state = 1;

#define RESET()                                   \
	do {                                          \
		x = uniform(-0.05, 0.05);                 \
		x_dot = uniform(-0.05, 0.05);             \
		theta = uniform(-0.05, 0.05);             \
		theta_dot = uniform(-0.05, 0.05);         \
		elapsed = 0;                              \
		terminated_before = 0;                    \
	} while (0)

	RESET();
	double start = now(), t = start, cpu0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
	while (t - start < min_seconds) {
		for (int i = 0; i < (1 << 20); i++) {
			int action = (int)(splitmix() >> 63);
			double force = action == 1 ? force_mag : -force_mag;
			double costheta = cos(theta), sintheta = sin(theta);
			double temp = (force + polemass_length * theta_dot * theta_dot * sintheta) / total_mass;
			double thetaacc = (gravity * sintheta - costheta * temp) /
			                  (length * (4.0 / 3.0 - masspole * costheta * costheta / total_mass));
			double xacc = temp - polemass_length * thetaacc * costheta / total_mass;
			x = x + tau * x_dot;
			x_dot = x_dot + tau * xacc;
			theta = theta + tau * theta_dot;
			theta_dot = theta_dot + tau * thetaacc;
			int terminated = x < -x_limit || x > x_limit || theta < -theta_limit || theta > theta_limit;
			obs[0] = (float)x;
			obs[1] = (float)x_dot;
			obs[2] = (float)theta;
			obs[3] = (float)theta_dot;
			double reward = terminated && terminated_before ? 0.0 : 1.0;
			terminated_before |= terminated;
			checksum += reward + obs[0];
			if (terminated || ++elapsed == 500) RESET();
		}
		steps += 1 << 20;
		t = now();
	}
	double secs = t - start, cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	printf("{\"impl\": \"c\", \"steps\": %llu, \"seconds\": %.6f, \"steps_per_sec\": %.1f, "
	       "\"steps_per_cpu_sec\": %.1f, \"checksum\": %.6g}\n",
	       (unsigned long long)steps, secs, (double)steps / secs, (double)steps / cpu, checksum);
	return 0;
}
