package nn

import "math"

// The portable kernels: the three matrix products of a dense layer and the
// element-wise loops around them, in plain Go. They serve processors
// without AVX2/FMA and builds with -tags purego, and are the reference the
// vector kernels (kernels_amd64.s) are tested against. The products are
// blocked so that each loaded value feeds several multiply-adds held in
// registers (Go does not vectorise). All matrices are row-major.

// mulAddGo computes y (n×m) += x (n×k) · w (k×m).
func mulAddGo(x []float32, n, k int, w []float32, m int, y []float32) {
	r := 0
	for ; r+2 <= n; r += 2 {
		x0 := x[r*k : r*k+k]
		x1 := x[(r+1)*k : (r+1)*k+k]
		x1 = x1[:len(x0)]
		y0 := y[r*m : r*m+m]
		y1 := y[(r+1)*m : (r+1)*m+m]
		j := 0
		for ; j+4 <= m; j += 4 {
			var a0, a1, a2, a3, b0, b1, b2, b3 float32
			for i, u := range x0 {
				v := x1[i]
				wi := w[i*m+j : i*m+j+4 : i*m+j+4]
				a0 += u * wi[0]
				a1 += u * wi[1]
				a2 += u * wi[2]
				a3 += u * wi[3]
				b0 += v * wi[0]
				b1 += v * wi[1]
				b2 += v * wi[2]
				b3 += v * wi[3]
			}
			y0[j] += a0
			y0[j+1] += a1
			y0[j+2] += a2
			y0[j+3] += a3
			y1[j] += b0
			y1[j+1] += b1
			y1[j+2] += b2
			y1[j+3] += b3
		}
		for ; j < m; j++ {
			var a, b float32
			for i, u := range x0 {
				a += u * w[i*m+j]
				b += x1[i] * w[i*m+j]
			}
			y0[j] += a
			y1[j] += b
		}
	}
	for ; r < n; r++ {
		xr := x[r*k : r*k+k]
		yr := y[r*m : r*m+m]
		for i, u := range xr {
			if u != 0 {
				axpy(u, w[i*m:i*m+m], yr)
			}
		}
	}
}

// mulTAddGo computes g (k×m) += xᵀ · d, for x (n×k) and d (n×m): the
// kernel gradient.
func mulTAddGo(x []float32, n, k int, d []float32, m int, g []float32) {
	i := 0
	for ; i+2 <= k; i += 2 {
		g0 := g[i*m : i*m+m]
		g1 := g[(i+1)*m : (i+1)*m+m]
		j := 0
		for ; j+4 <= m; j += 4 {
			var a0, a1, a2, a3, b0, b1, b2, b3 float32
			for r := 0; r < n; r++ {
				u, v := x[r*k+i], x[r*k+i+1]
				dr := d[r*m+j : r*m+j+4 : r*m+j+4]
				a0 += u * dr[0]
				a1 += u * dr[1]
				a2 += u * dr[2]
				a3 += u * dr[3]
				b0 += v * dr[0]
				b1 += v * dr[1]
				b2 += v * dr[2]
				b3 += v * dr[3]
			}
			g0[j] += a0
			g0[j+1] += a1
			g0[j+2] += a2
			g0[j+3] += a3
			g1[j] += b0
			g1[j+1] += b1
			g1[j+2] += b2
			g1[j+3] += b3
		}
		for ; j < m; j++ {
			var a, b float32
			for r := 0; r < n; r++ {
				a += x[r*k+i] * d[r*m+j]
				b += x[r*k+i+1] * d[r*m+j]
			}
			g0[j] += a
			g1[j] += b
		}
	}
	for ; i < k; i++ {
		gi := g[i*m : i*m+m]
		for r := 0; r < n; r++ {
			if u := x[r*k+i]; u != 0 {
				axpy(u, d[r*m:r*m+m], gi)
			}
		}
	}
}

// mulBTGo computes dx (n×k) = d (n×m) · wᵀ, for w (k×m): the input
// gradient.
func mulBTGo(d []float32, n, m int, w []float32, k int, dx []float32) {
	r := 0
	for ; r+2 <= n; r += 2 {
		d0 := d[r*m : r*m+m]
		d1 := d[(r+1)*m : (r+1)*m+m]
		d1 = d1[:len(d0)]
		i := 0
		for ; i+2 <= k; i += 2 {
			w0 := w[i*m : i*m+m]
			w1 := w[(i+1)*m : (i+1)*m+m]
			w0, w1 = w0[:len(d0)], w1[:len(d0)]
			var a0, a1, b0, b1 float32
			for j, u := range d0 {
				v := d1[j]
				a0 += u * w0[j]
				a1 += u * w1[j]
				b0 += v * w0[j]
				b1 += v * w1[j]
			}
			dx[r*k+i] = a0
			dx[r*k+i+1] = a1
			dx[(r+1)*k+i] = b0
			dx[(r+1)*k+i+1] = b1
		}
		for ; i < k; i++ {
			dx[r*k+i] = dot(w[i*m:i*m+m], d0)
			dx[(r+1)*k+i] = dot(w[i*m:i*m+m], d1)
		}
	}
	for ; r < n; r++ { // the same sums as a pair's, so a row's values do not depend on its position
		dr := d[r*m : r*m+m]
		i := 0
		for ; i+2 <= k; i += 2 {
			w0 := w[i*m : i*m+m]
			w1 := w[(i+1)*m : (i+1)*m+m]
			w0, w1 = w0[:len(dr)], w1[:len(dr)]
			var a0, a1 float32
			for j, u := range dr {
				a0 += u * w0[j]
				a1 += u * w1[j]
			}
			dx[r*k+i] = a0
			dx[r*k+i+1] = a1
		}
		for ; i < k; i++ {
			dx[r*k+i] = dot(w[i*m:i*m+m], dr)
		}
	}
}

// gemvGo computes y (m) += x (k) · w (k×m): one state's dense layer. It skips
// the zeros relu leaves.
func gemvGo(x []float32, k int, w []float32, m int, y []float32) {
	for i, xi := range x[:k] {
		if xi != 0 {
			axpy(xi, w[i*m:(i+1)*m:(i+1)*m], y[:m])
		}
	}
}

// sumRowsGo adds the n rows of d (n×m) to g (m): the bias gradient.
func sumRowsGo(d []float32, n, m int, g []float32) {
	g = g[:m]
	for r := 0; r < n; r++ {
		for j, v := range d[r*m : (r+1)*m] {
			g[j] += v
		}
	}
}

// reluGo sets the negative values of y to zero.
func reluGo(y []float32) {
	for j, v := range y {
		if v < 0 {
			y[j] = 0
		}
	}
}

// polyakGo moves dst towards src: dst += tau * (src - dst).
func polyakGo(dst, src []float32, tau float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += tau * (v - dst[i])
	}
}

// reluGradGo zeroes d where the relu output x is not positive.
func reluGradGo(x, d []float32) {
	d = d[:len(x)]
	for i, v := range x {
		if v <= 0 {
			d[i] = 0
		}
	}
}

// sumSquaresGo is the sum of the squares of g, in float64.
func sumSquaresGo(g []float32) float64 {
	var s float64
	for _, v := range g {
		s += float64(v) * float64(v)
	}
	return s
}

// adamGo is Adam's update of params from g with moments m and v, bias
// corrected step alpha, c1 = 1-beta1, c2 = 1-beta2.
func adamGo(params, g, m, v []float32, alpha, c1, c2, eps float32) {
	g, m, v = g[:len(params)], m[:len(params)], v[:len(params)]
	for i := range params {
		gi := g[i]
		m[i] += (gi - m[i]) * c1
		v[i] += (gi*gi - v[i]) * c2
		params[i] -= alpha * m[i] / (float32(math.Sqrt(float64(v[i]))) + eps)
	}
}
