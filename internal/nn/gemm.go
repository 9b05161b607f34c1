package nn

// The three matrix products of a dense layer, blocked so that each loaded
// value feeds several multiply-adds held in registers (Go does not
// vectorise). On the shared 2-core development machine the blocking showed
// no gain over the plain axpy loop beyond noise (BenchmarkMulAdd64x64x64
// against BenchmarkNaiveMulAdd64x64x64); measure on a quiet machine before
// building on it. All matrices are row-major.

// mulAdd computes y (n×m) += x (n×k) · w (k×m).
func mulAdd(x []float32, n, k int, w []float32, m int, y []float32) {
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

// mulTAdd computes g (k×m) += xᵀ · d, for x (n×k) and d (n×m): the kernel
// gradient.
func mulTAdd(x []float32, n, k int, d []float32, m int, g []float32) {
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

// mulBT computes dx (n×k) = d (n×m) · wᵀ, for w (k×m): the input gradient.
func mulBT(d []float32, n, m int, w []float32, k int, dx []float32) {
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
	for ; r < n; r++ {
		dr := d[r*m : r*m+m]
		for i := 0; i < k; i++ {
			dx[r*k+i] = dot(w[i*m:i*m+m], dr)
		}
	}
}
