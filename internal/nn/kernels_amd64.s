//go:build !purego

#include "textflag.h"

// AVX2/FMA kernels for the dense layers (see kernels_amd64.go). Every sum
// runs over its inner index in order, as the portable kernels' do; FMA
// rounds each multiply-add once where the portable code rounds twice.

// func gemmAVX(k int, a0, a1, a2, a3 *float32, aStep int, b *float32, ldb int, c0, c1, c2, c3 *float32, mask *int32)
//
// For the four rows t of a block and 16 columns j:
//   c_t[j] += sum over p < k of a_t[p*aStep] * b[p*ldb + j]
// aStep and ldb are in bytes. mask nil: all 16 columns; else a 16-lane
// mask (-1: column present) for the loads and stores of b and c.
TEXT ·gemmAVX(SB), NOSPLIT, $0-104
	MOVQ k+0(FP), CX
	MOVQ a0+8(FP), R8
	MOVQ a1+16(FP), R9
	MOVQ a2+24(FP), R10
	MOVQ a3+32(FP), R11
	MOVQ aStep+40(FP), SI
	MOVQ b+48(FP), BX
	MOVQ ldb+56(FP), DX
	MOVQ mask+96(FP), AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JLE  gemm_done
	TESTQ AX, AX
	JNZ  gemm_masked

gemm_loop:
	VMOVUPS      (BX), Y12
	VMOVUPS      32(BX), Y13
	VBROADCASTSS (R8), Y14
	VFMADD231PS  Y12, Y14, Y0
	VFMADD231PS  Y13, Y14, Y1
	VBROADCASTSS (R9), Y15
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS (R10), Y14
	VFMADD231PS  Y12, Y14, Y4
	VFMADD231PS  Y13, Y14, Y5
	VBROADCASTSS (R11), Y15
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	ADDQ         SI, R8
	ADDQ         SI, R9
	ADDQ         SI, R10
	ADDQ         SI, R11
	ADDQ         DX, BX
	DECQ         CX
	JNZ          gemm_loop

	MOVQ    c0+64(FP), DI
	VADDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	VADDPS  32(DI), Y1, Y1
	VMOVUPS Y1, 32(DI)
	MOVQ    c1+72(FP), DI
	VADDPS  (DI), Y2, Y2
	VMOVUPS Y2, (DI)
	VADDPS  32(DI), Y3, Y3
	VMOVUPS Y3, 32(DI)
	MOVQ    c2+80(FP), DI
	VADDPS  (DI), Y4, Y4
	VMOVUPS Y4, (DI)
	VADDPS  32(DI), Y5, Y5
	VMOVUPS Y5, 32(DI)
	MOVQ    c3+88(FP), DI
	VADDPS  (DI), Y6, Y6
	VMOVUPS Y6, (DI)
	VADDPS  32(DI), Y7, Y7
	VMOVUPS Y7, 32(DI)
	VZEROUPPER
	RET

gemm_masked:
	VMOVUPS (AX), Y8
	VMOVUPS 32(AX), Y9

gemm_mloop:
	VMASKMOVPS   (BX), Y8, Y12
	VMASKMOVPS   32(BX), Y9, Y13
	VBROADCASTSS (R8), Y14
	VFMADD231PS  Y12, Y14, Y0
	VFMADD231PS  Y13, Y14, Y1
	VBROADCASTSS (R9), Y15
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS (R10), Y14
	VFMADD231PS  Y12, Y14, Y4
	VFMADD231PS  Y13, Y14, Y5
	VBROADCASTSS (R11), Y15
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	ADDQ         SI, R8
	ADDQ         SI, R9
	ADDQ         SI, R10
	ADDQ         SI, R11
	ADDQ         DX, BX
	DECQ         CX
	JNZ          gemm_mloop

	MOVQ       c0+64(FP), DI
	VMASKMOVPS (DI), Y8, Y12
	VADDPS     Y12, Y0, Y0
	VMASKMOVPS Y0, Y8, (DI)
	VMASKMOVPS 32(DI), Y9, Y13
	VADDPS     Y13, Y1, Y1
	VMASKMOVPS Y1, Y9, 32(DI)
	MOVQ       c1+72(FP), DI
	VMASKMOVPS (DI), Y8, Y12
	VADDPS     Y12, Y2, Y2
	VMASKMOVPS Y2, Y8, (DI)
	VMASKMOVPS 32(DI), Y9, Y13
	VADDPS     Y13, Y3, Y3
	VMASKMOVPS Y3, Y9, 32(DI)
	MOVQ       c2+80(FP), DI
	VMASKMOVPS (DI), Y8, Y12
	VADDPS     Y12, Y4, Y4
	VMASKMOVPS Y4, Y8, (DI)
	VMASKMOVPS 32(DI), Y9, Y13
	VADDPS     Y13, Y5, Y5
	VMASKMOVPS Y5, Y9, 32(DI)
	MOVQ       c3+88(FP), DI
	VMASKMOVPS (DI), Y8, Y12
	VADDPS     Y12, Y6, Y6
	VMASKMOVPS Y6, Y8, (DI)
	VMASKMOVPS 32(DI), Y9, Y13
	VADDPS     Y13, Y7, Y7
	VMASKMOVPS Y7, Y9, 32(DI)

gemm_done:
	VZEROUPPER
	RET

// func gemvAVX(k int, x *float32, w *float32, ldw int, y *float32, mask *int32)
//
// For 32 columns j: y[j] += sum over i < k of x[i] * w[i*ldw + j]; ldw in
// bytes. mask nil: all 32 columns; else a 32-lane mask.
TEXT ·gemvAVX(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ x+8(FP), R8
	MOVQ w+16(FP), BX
	MOVQ ldw+24(FP), DX
	MOVQ y+32(FP), DI
	MOVQ mask+40(FP), AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	TESTQ CX, CX
	JLE  gemv_done
	TESTQ AX, AX
	JNZ  gemv_masked

gemv_loop:
	VBROADCASTSS (R8), Y14
	VFMADD231PS  (BX), Y14, Y0
	VFMADD231PS  32(BX), Y14, Y1
	VFMADD231PS  64(BX), Y14, Y2
	VFMADD231PS  96(BX), Y14, Y3
	ADDQ         $4, R8
	ADDQ         DX, BX
	DECQ         CX
	JNZ          gemv_loop

	VADDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	VADDPS  32(DI), Y1, Y1
	VMOVUPS Y1, 32(DI)
	VADDPS  64(DI), Y2, Y2
	VMOVUPS Y2, 64(DI)
	VADDPS  96(DI), Y3, Y3
	VMOVUPS Y3, 96(DI)
	VZEROUPPER
	RET

gemv_masked:
	VMOVUPS (AX), Y8
	VMOVUPS 32(AX), Y9
	VMOVUPS 64(AX), Y10
	VMOVUPS 96(AX), Y11

gemv_mloop:
	VBROADCASTSS (R8), Y14
	VMASKMOVPS   (BX), Y8, Y12
	VFMADD231PS  Y12, Y14, Y0
	VMASKMOVPS   32(BX), Y9, Y13
	VFMADD231PS  Y13, Y14, Y1
	VMASKMOVPS   64(BX), Y10, Y12
	VFMADD231PS  Y12, Y14, Y2
	VMASKMOVPS   96(BX), Y11, Y13
	VFMADD231PS  Y13, Y14, Y3
	ADDQ         $4, R8
	ADDQ         DX, BX
	DECQ         CX
	JNZ          gemv_mloop

	VMASKMOVPS (DI), Y8, Y12
	VADDPS     Y12, Y0, Y0
	VMASKMOVPS Y0, Y8, (DI)
	VMASKMOVPS 32(DI), Y9, Y13
	VADDPS     Y13, Y1, Y1
	VMASKMOVPS Y1, Y9, 32(DI)
	VMASKMOVPS 64(DI), Y10, Y12
	VADDPS     Y12, Y2, Y2
	VMASKMOVPS Y2, Y10, 64(DI)
	VMASKMOVPS 96(DI), Y11, Y13
	VADDPS     Y13, Y3, Y3
	VMASKMOVPS Y3, Y11, 96(DI)

gemv_done:
	VZEROUPPER
	RET

// func adamAVX(n int, p, grad, m, v *float32, c *[4]float32)
//
// Keras's Adam on n (a multiple of 8) parameters, c = {alpha, 1-beta1,
// 1-beta2, eps}, in the portable loop's order of operations:
//   m += (g - m) * c1;  v += (g*g - v) * c2;  p -= alpha*m / (sqrt(v) + eps)
// with subnormal inputs and results flushed to zero (MXCSR DAZ and FTZ, as
// TensorFlow runs on CPU), restored before it returns: the moments of
// parameters whose gradient stays zero decay into subnormals, on which
// Intel processors take a microcode assist per operation (Adam's step on
// 66k parameters went from 30 us to 800 us in DQN on CartPole). Assembly is
// never preempted asynchronously, so no other code runs with the mode set.
TEXT ·adamAVX(SB), NOSPLIT, $8-48
	STMXCSR 0(SP)
	MOVL    0(SP), R11
	ORL     $0x8040, R11
	MOVL    R11, 4(SP)
	LDMXCSR 4(SP)
	MOVQ n+0(FP), CX
	MOVQ p+8(FP), DI
	MOVQ grad+16(FP), SI
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9
	MOVQ c+40(FP), AX
	VBROADCASTSS (AX), Y12
	VBROADCASTSS 4(AX), Y13
	VBROADCASTSS 8(AX), Y14
	VBROADCASTSS 12(AX), Y15
	SHRQ $3, CX
	JZ   adam_done

adam_loop:
	VMOVUPS (SI), Y0       // g
	VMOVUPS (R8), Y1       // m
	VSUBPS  Y1, Y0, Y2     // g - m
	VMULPS  Y13, Y2, Y2
	VADDPS  Y2, Y1, Y1     // m + (g-m)*c1
	VMOVUPS Y1, (R8)
	VMOVUPS (R9), Y3       // v
	VMULPS  Y0, Y0, Y4     // g*g
	VSUBPS  Y3, Y4, Y4     // g*g - v
	VMULPS  Y14, Y4, Y4
	VADDPS  Y4, Y3, Y3     // v + (g*g-v)*c2
	VMOVUPS Y3, (R9)
	VSQRTPS Y3, Y5
	VADDPS  Y15, Y5, Y5    // sqrt(v) + eps
	VMULPS  Y1, Y12, Y6    // alpha*m
	VDIVPS  Y5, Y6, Y6
	VMOVUPS (DI), Y7
	VSUBPS  Y6, Y7, Y7
	VMOVUPS Y7, (DI)
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, R9
	ADDQ    $32, DI
	DECQ    CX
	JNZ     adam_loop

adam_done:
	LDMXCSR 0(SP)
	VZEROUPPER
	RET

// func reluAVX(n int, y *float32)
//
// y[i] = 0 where y[i] < 0, for n a multiple of 8 (NaN and -0 stay).
TEXT ·reluAVX(SB), NOSPLIT, $0-16
	MOVQ   n+0(FP), CX
	MOVQ   y+8(FP), DI
	VXORPS Y15, Y15, Y15
	SHRQ   $3, CX
	JZ     relu_done

relu_loop:
	VMOVUPS (DI), Y0
	VMAXPS  Y0, Y15, Y0 // 0 > y ? 0 : y
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	DECQ    CX
	JNZ     relu_loop

relu_done:
	VZEROUPPER
	RET

// func reluGradAVX(n int, x, d *float32)
//
// d[i] = 0 where x[i] <= 0, for n a multiple of 8.
TEXT ·reluGradAVX(SB), NOSPLIT, $0-24
	MOVQ   n+0(FP), CX
	MOVQ   x+8(FP), SI
	MOVQ   d+16(FP), DI
	VXORPS Y15, Y15, Y15
	SHRQ   $3, CX
	JZ     rgrad_done

rgrad_loop:
	VMOVUPS (SI), Y0
	VCMPPS  $2, Y15, Y0, Y1 // x <= 0
	VMOVUPS (DI), Y2
	VANDNPS Y2, Y1, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     rgrad_loop

rgrad_done:
	VZEROUPPER
	RET

// func sumSquaresAVX(n int, grad *float32) float64
//
// The sum of g[i]^2 in float64 for n a multiple of 8, in four interleaved
// partial sums.
TEXT ·sumSquaresAVX(SB), NOSPLIT, $0-24
	MOVQ   n+0(FP), CX
	MOVQ   grad+8(FP), SI
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	SHRQ   $3, CX
	JZ     ssq_done

ssq_loop:
	VCVTPS2PD   (SI), Y2
	VCVTPS2PD   16(SI), Y3
	VFMADD231PD Y2, Y2, Y0
	VFMADD231PD Y3, Y3, Y1
	ADDQ        $32, SI
	DECQ        CX
	JNZ         ssq_loop

ssq_done:
	VADDPD       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VHADDPD      X0, X0, X0
	MOVSD        X0, ret+16(FP)
	VZEROUPPER
	RET

// func transpose8AVX(src *float32, lds int, dst *float32, ldd int)
//
// Writes the transpose of the 8×8 tile at src (row stride lds bytes) to dst
// (row stride ldd bytes).
TEXT ·transpose8AVX(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ lds+8(FP), AX
	MOVQ dst+16(FP), DI
	MOVQ ldd+24(FP), DX
	VMOVUPS (SI), Y0
	ADDQ    AX, SI
	VMOVUPS (SI), Y1
	ADDQ    AX, SI
	VMOVUPS (SI), Y2
	ADDQ    AX, SI
	VMOVUPS (SI), Y3
	ADDQ    AX, SI
	VMOVUPS (SI), Y4
	ADDQ    AX, SI
	VMOVUPS (SI), Y5
	ADDQ    AX, SI
	VMOVUPS (SI), Y6
	ADDQ    AX, SI
	VMOVUPS (SI), Y7

	VUNPCKLPS Y1, Y0, Y8  // a0 b0 a1 b1 | a4 b4 a5 b5
	VUNPCKHPS Y1, Y0, Y9  // a2 b2 a3 b3 | a6 b6 a7 b7
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0  // a0 b0 c0 d0 | a4 b4 c4 d4
	VSHUFPS $0xEE, Y10, Y8, Y1  // a1 b1 c1 d1 | a5 b5 c5 d5
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	VMOVUPS Y8, (DI)
	ADDQ    DX, DI
	VMOVUPS Y9, (DI)
	ADDQ    DX, DI
	VMOVUPS Y10, (DI)
	ADDQ    DX, DI
	VMOVUPS Y11, (DI)
	ADDQ    DX, DI
	VMOVUPS Y12, (DI)
	ADDQ    DX, DI
	VMOVUPS Y13, (DI)
	ADDQ    DX, DI
	VMOVUPS Y14, (DI)
	ADDQ    DX, DI
	VMOVUPS Y15, (DI)
	VZEROUPPER
	RET

// func packAVX(k int, b *float32, ldb int, dst *float32, mask *int32)
//
// Copies k rows of 16 columns of b (row stride ldb bytes) to dst, 16 values
// a row, contiguous. mask nil: all 16; else the masked-off columns are
// written as zeros.
TEXT ·packAVX(SB), NOSPLIT, $0-40
	MOVQ  k+0(FP), CX
	MOVQ  b+8(FP), SI
	MOVQ  ldb+16(FP), DX
	MOVQ  dst+24(FP), DI
	MOVQ  mask+32(FP), AX
	TESTQ CX, CX
	JLE   pack_done
	TESTQ AX, AX
	JNZ   pack_masked

pack_loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    DX, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     pack_loop
	JMP     pack_done

pack_masked:
	VMOVUPS (AX), Y8
	VMOVUPS 32(AX), Y9

pack_mloop:
	VMASKMOVPS (SI), Y8, Y0
	VMASKMOVPS 32(SI), Y9, Y1
	VMOVUPS    Y0, (DI)
	VMOVUPS    Y1, 32(DI)
	ADDQ       DX, SI
	ADDQ       $64, DI
	DECQ       CX
	JNZ        pack_mloop

pack_done:
	VZEROUPPER
	RET

// func gemv64AVX(k int, x *float32, w *float32, ldw int, y *float32)
//
// For 64 columns j: y[j] += sum over i < k of x[i] * w[i*ldw + j]; ldw in
// bytes. Eight accumulators keep both FMA units busy.
TEXT ·gemv64AVX(SB), NOSPLIT, $0-40
	MOVQ   k+0(FP), CX
	MOVQ   x+8(FP), R8
	MOVQ   w+16(FP), BX
	MOVQ   ldw+24(FP), DX
	MOVQ   y+32(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ  CX, CX
	JLE    gemv64_store

gemv64_loop:
	VBROADCASTSS (R8), Y14
	VFMADD231PS  (BX), Y14, Y0
	VFMADD231PS  32(BX), Y14, Y1
	VFMADD231PS  64(BX), Y14, Y2
	VFMADD231PS  96(BX), Y14, Y3
	VFMADD231PS  128(BX), Y14, Y4
	VFMADD231PS  160(BX), Y14, Y5
	VFMADD231PS  192(BX), Y14, Y6
	VFMADD231PS  224(BX), Y14, Y7
	ADDQ         $4, R8
	ADDQ         DX, BX
	DECQ         CX
	JNZ          gemv64_loop

gemv64_store:
	VADDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	VADDPS  32(DI), Y1, Y1
	VMOVUPS Y1, 32(DI)
	VADDPS  64(DI), Y2, Y2
	VMOVUPS Y2, 64(DI)
	VADDPS  96(DI), Y3, Y3
	VMOVUPS Y3, 96(DI)
	VADDPS  128(DI), Y4, Y4
	VMOVUPS Y4, 128(DI)
	VADDPS  160(DI), Y5, Y5
	VMOVUPS Y5, 160(DI)
	VADDPS  192(DI), Y6, Y6
	VMOVUPS Y6, 192(DI)
	VADDPS  224(DI), Y7, Y7
	VMOVUPS Y7, 224(DI)
	VZEROUPPER
	RET

// func gemv8AVX(k int, x *float32, w *float32, ldw int, y *float32, mask *int32)
//
// For up to 8 columns (mask, 8 lanes): y[j] += sum over i < k of x[i] *
// w[i*ldw + j], in four partial sums over i mod 4 (a narrow output layer
// would otherwise wait on one FMA chain), added at the end.
TEXT ·gemv8AVX(SB), NOSPLIT, $0-48
	MOVQ    k+0(FP), CX
	MOVQ    x+8(FP), R8
	MOVQ    w+16(FP), BX
	MOVQ    ldw+24(FP), DX
	MOVQ    y+32(FP), DI
	MOVQ    mask+40(FP), AX
	VMOVUPS (AX), Y8
	VXORPS  Y0, Y0, Y0
	VXORPS  Y1, Y1, Y1
	VXORPS  Y2, Y2, Y2
	VXORPS  Y3, Y3, Y3
	MOVQ    CX, R9
	SHRQ    $2, R9
	JZ      gemv8_tail

gemv8_loop4:
	VBROADCASTSS (R8), Y14
	VMASKMOVPS   (BX), Y8, Y12
	VFMADD231PS  Y12, Y14, Y0
	ADDQ         DX, BX
	VBROADCASTSS 4(R8), Y15
	VMASKMOVPS   (BX), Y8, Y13
	VFMADD231PS  Y13, Y15, Y1
	ADDQ         DX, BX
	VBROADCASTSS 8(R8), Y14
	VMASKMOVPS   (BX), Y8, Y12
	VFMADD231PS  Y12, Y14, Y2
	ADDQ         DX, BX
	VBROADCASTSS 12(R8), Y15
	VMASKMOVPS   (BX), Y8, Y13
	VFMADD231PS  Y13, Y15, Y3
	ADDQ         DX, BX
	ADDQ         $16, R8
	DECQ         R9
	JNZ          gemv8_loop4

gemv8_tail:
	ANDQ $3, CX
	JZ   gemv8_store

gemv8_loop1:
	VBROADCASTSS (R8), Y14
	VMASKMOVPS   (BX), Y8, Y12
	VFMADD231PS  Y12, Y14, Y0
	ADDQ         DX, BX
	ADDQ         $4, R8
	DECQ         CX
	JNZ          gemv8_loop1

gemv8_store:
	VADDPS     Y1, Y0, Y0
	VADDPS     Y3, Y2, Y2
	VADDPS     Y2, Y0, Y0
	VMASKMOVPS (DI), Y8, Y12
	VADDPS     Y12, Y0, Y0
	VMASKMOVPS Y0, Y8, (DI)
	VZEROUPPER
	RET

// func gemm6AVX(k int, a *float32, aRow, aStep int, b *float32, ldb int, c *float32, ldc int, mask *int32)
//
// For the six rows t < 6 of a block and 16 columns j:
//   c[t*ldc + j] += sum over p < k of a[t*aRow + p*aStep] * b[p*ldb + j]
// with every stride in bytes. Twelve accumulators keep both FMA pipes busy
// through their latency (the four-row gemmAVX has eight). b is a pack
// whose masked-off columns are zero, so it is read whole; mask nil: all 16
// columns of c, else a 16-lane mask for its loads and stores.
TEXT ·gemm6AVX(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), R8
	MOVQ aRow+16(FP), R9
	MOVQ aStep+24(FP), SI
	MOVQ b+32(FP), BX
	MOVQ ldb+40(FP), DX
	LEAQ (R8)(R9*2), R10
	ADDQ R9, R10 // R10: row 3
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ CX, CX
	JLE  gemm6_store

gemm6_loop:
	VMOVUPS      (BX), Y12
	VMOVUPS      32(BX), Y13
	VBROADCASTSS (R8), Y14
	VFMADD231PS  Y12, Y14, Y0
	VFMADD231PS  Y13, Y14, Y1
	VBROADCASTSS (R8)(R9*1), Y15
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS (R8)(R9*2), Y14
	VFMADD231PS  Y12, Y14, Y4
	VFMADD231PS  Y13, Y14, Y5
	VBROADCASTSS (R10), Y15
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	VBROADCASTSS (R10)(R9*1), Y14
	VFMADD231PS  Y12, Y14, Y8
	VFMADD231PS  Y13, Y14, Y9
	VBROADCASTSS (R10)(R9*2), Y15
	VFMADD231PS  Y12, Y15, Y10
	VFMADD231PS  Y13, Y15, Y11
	ADDQ         SI, R8
	ADDQ         SI, R10
	ADDQ         DX, BX
	DECQ         CX
	JNZ          gemm6_loop

gemm6_store:
	MOVQ  c+48(FP), DI
	MOVQ  ldc+56(FP), R11
	MOVQ  mask+64(FP), AX
	LEAQ  (DI)(R11*2), R12
	ADDQ  R11, R12 // R12: row 3
	TESTQ AX, AX
	JNZ   gemm6_masked

	VADDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	VADDPS  32(DI), Y1, Y1
	VMOVUPS Y1, 32(DI)
	VADDPS  (DI)(R11*1), Y2, Y2
	VMOVUPS Y2, (DI)(R11*1)
	VADDPS  32(DI)(R11*1), Y3, Y3
	VMOVUPS Y3, 32(DI)(R11*1)
	VADDPS  (DI)(R11*2), Y4, Y4
	VMOVUPS Y4, (DI)(R11*2)
	VADDPS  32(DI)(R11*2), Y5, Y5
	VMOVUPS Y5, 32(DI)(R11*2)
	VADDPS  (R12), Y6, Y6
	VMOVUPS Y6, (R12)
	VADDPS  32(R12), Y7, Y7
	VMOVUPS Y7, 32(R12)
	VADDPS  (R12)(R11*1), Y8, Y8
	VMOVUPS Y8, (R12)(R11*1)
	VADDPS  32(R12)(R11*1), Y9, Y9
	VMOVUPS Y9, 32(R12)(R11*1)
	VADDPS  (R12)(R11*2), Y10, Y10
	VMOVUPS Y10, (R12)(R11*2)
	VADDPS  32(R12)(R11*2), Y11, Y11
	VMOVUPS Y11, 32(R12)(R11*2)
	VZEROUPPER
	RET

gemm6_masked:
	VMOVUPS    (AX), Y12
	VMOVUPS    32(AX), Y13
	VMASKMOVPS (DI), Y12, Y14
	VADDPS     Y14, Y0, Y0
	VMASKMOVPS Y0, Y12, (DI)
	VMASKMOVPS 32(DI), Y13, Y15
	VADDPS     Y15, Y1, Y1
	VMASKMOVPS Y1, Y13, 32(DI)
	ADDQ       R11, DI
	VMASKMOVPS (DI), Y12, Y14
	VADDPS     Y14, Y2, Y2
	VMASKMOVPS Y2, Y12, (DI)
	VMASKMOVPS 32(DI), Y13, Y15
	VADDPS     Y15, Y3, Y3
	VMASKMOVPS Y3, Y13, 32(DI)
	ADDQ       R11, DI
	VMASKMOVPS (DI), Y12, Y14
	VADDPS     Y14, Y4, Y4
	VMASKMOVPS Y4, Y12, (DI)
	VMASKMOVPS 32(DI), Y13, Y15
	VADDPS     Y15, Y5, Y5
	VMASKMOVPS Y5, Y13, 32(DI)
	ADDQ       R11, DI
	VMASKMOVPS (DI), Y12, Y14
	VADDPS     Y14, Y6, Y6
	VMASKMOVPS Y6, Y12, (DI)
	VMASKMOVPS 32(DI), Y13, Y15
	VADDPS     Y15, Y7, Y7
	VMASKMOVPS Y7, Y13, 32(DI)
	ADDQ       R11, DI
	VMASKMOVPS (DI), Y12, Y14
	VADDPS     Y14, Y8, Y8
	VMASKMOVPS Y8, Y12, (DI)
	VMASKMOVPS 32(DI), Y13, Y15
	VADDPS     Y15, Y9, Y9
	VMASKMOVPS Y9, Y13, 32(DI)
	ADDQ       R11, DI
	VMASKMOVPS (DI), Y12, Y14
	VADDPS     Y14, Y10, Y10
	VMASKMOVPS Y10, Y12, (DI)
	VMASKMOVPS 32(DI), Y13, Y15
	VADDPS     Y15, Y11, Y11
	VMASKMOVPS Y11, Y13, 32(DI)
	VZEROUPPER
	RET

// func gemm8x32AVX512(k int, a *float32, aRow, aStep int, b *float32, c *float32, ldc int, mask uint32)
//
// The AVX-512 kernel: for the eight rows t < 8 of a block and 32 columns j:
//   c[t*ldc + j] += sum over p < k of a[t*aRow + p*aStep] * b[p*32 + j]
// with aRow, aStep and ldc in bytes. b is a pack of 32 columns (its
// masked-off columns zero); mask has bit j set for the columns of c present.
// Sixteen zmm accumulators; each step loads two rows of b and broadcasts
// eight values of a for sixteen FMAs.
TEXT ·gemm8x32AVX512(SB), NOSPLIT, $0-60
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), R8
	MOVQ aRow+16(FP), R9
	MOVQ aStep+24(FP), SI
	MOVQ b+32(FP), BX
	LEAQ (R8)(R9*2), R10
	ADDQ R9, R10         // R10: row 3
	LEAQ (R10)(R9*2), R12
	ADDQ R9, R12         // R12: row 6
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	TESTQ CX, CX
	JLE   g8_store

g8_loop:
	VMOVUPS      (BX), Z16
	VMOVUPS      64(BX), Z17
	VBROADCASTSS (R8), Z18
	VBROADCASTSS (R8)(R9*1), Z19
	VBROADCASTSS (R8)(R9*2), Z20
	VBROADCASTSS (R10), Z21
	VFMADD231PS  Z16, Z18, Z0
	VFMADD231PS  Z17, Z18, Z1
	VFMADD231PS  Z16, Z19, Z2
	VFMADD231PS  Z17, Z19, Z3
	VBROADCASTSS (R10)(R9*1), Z22
	VBROADCASTSS (R10)(R9*2), Z23
	VFMADD231PS  Z16, Z20, Z4
	VFMADD231PS  Z17, Z20, Z5
	VFMADD231PS  Z16, Z21, Z6
	VFMADD231PS  Z17, Z21, Z7
	VBROADCASTSS (R12), Z24
	VBROADCASTSS (R12)(R9*1), Z25
	VFMADD231PS  Z16, Z22, Z8
	VFMADD231PS  Z17, Z22, Z9
	VFMADD231PS  Z16, Z23, Z10
	VFMADD231PS  Z17, Z23, Z11
	VFMADD231PS  Z16, Z24, Z12
	VFMADD231PS  Z17, Z24, Z13
	VFMADD231PS  Z16, Z25, Z14
	VFMADD231PS  Z17, Z25, Z15
	ADDQ         SI, R8
	ADDQ         SI, R10
	ADDQ         SI, R12
	ADDQ         $128, BX
	DECQ         CX
	JNZ          g8_loop

g8_store:
	MOVQ  c+40(FP), DI
	MOVQ  ldc+48(FP), R11
	MOVL  mask+56(FP), AX
	KMOVW AX, K1
	SHRL  $16, AX
	KMOVW AX, K2

	VMOVUPS.Z (DI), K1, Z26
	VADDPS    Z26, Z0, Z0
	VMOVUPS   Z0, K1, (DI)
	VMOVUPS.Z 64(DI), K2, Z27
	VADDPS    Z27, Z1, Z1
	VMOVUPS   Z1, K2, 64(DI)
	ADDQ      R11, DI
	VMOVUPS.Z (DI), K1, Z26
	VADDPS    Z26, Z2, Z2
	VMOVUPS   Z2, K1, (DI)
	VMOVUPS.Z 64(DI), K2, Z27
	VADDPS    Z27, Z3, Z3
	VMOVUPS   Z3, K2, 64(DI)
	ADDQ      R11, DI
	VMOVUPS.Z (DI), K1, Z26
	VADDPS    Z26, Z4, Z4
	VMOVUPS   Z4, K1, (DI)
	VMOVUPS.Z 64(DI), K2, Z27
	VADDPS    Z27, Z5, Z5
	VMOVUPS   Z5, K2, 64(DI)
	ADDQ      R11, DI
	VMOVUPS.Z (DI), K1, Z26
	VADDPS    Z26, Z6, Z6
	VMOVUPS   Z6, K1, (DI)
	VMOVUPS.Z 64(DI), K2, Z27
	VADDPS    Z27, Z7, Z7
	VMOVUPS   Z7, K2, 64(DI)
	ADDQ      R11, DI
	VMOVUPS.Z (DI), K1, Z26
	VADDPS    Z26, Z8, Z8
	VMOVUPS   Z8, K1, (DI)
	VMOVUPS.Z 64(DI), K2, Z27
	VADDPS    Z27, Z9, Z9
	VMOVUPS   Z9, K2, 64(DI)
	ADDQ      R11, DI
	VMOVUPS.Z (DI), K1, Z26
	VADDPS    Z26, Z10, Z10
	VMOVUPS   Z10, K1, (DI)
	VMOVUPS.Z 64(DI), K2, Z27
	VADDPS    Z27, Z11, Z11
	VMOVUPS   Z11, K2, 64(DI)
	ADDQ      R11, DI
	VMOVUPS.Z (DI), K1, Z26
	VADDPS    Z26, Z12, Z12
	VMOVUPS   Z12, K1, (DI)
	VMOVUPS.Z 64(DI), K2, Z27
	VADDPS    Z27, Z13, Z13
	VMOVUPS   Z13, K2, 64(DI)
	ADDQ      R11, DI
	VMOVUPS.Z (DI), K1, Z26
	VADDPS    Z26, Z14, Z14
	VMOVUPS   Z14, K1, (DI)
	VMOVUPS.Z 64(DI), K2, Z27
	VADDPS    Z27, Z15, Z15
	VMOVUPS   Z15, K2, 64(DI)
	VZEROUPPER
	RET

// func gemm4x32AVX512(k int, a0, a1, a2, a3 *float32, aStep int, b *float32, c0, c1, c2, c3 *float32, mask uint32)
//
// gemm8x32AVX512 for four rows given by their own pointers (the last rows
// of a block; a short block repeats a row of a and writes to a spare c).
TEXT ·gemm4x32AVX512(SB), NOSPLIT, $0-92
	MOVQ k+0(FP), CX
	MOVQ a0+8(FP), R8
	MOVQ a1+16(FP), R9
	MOVQ a2+24(FP), R10
	MOVQ a3+32(FP), R11
	MOVQ aStep+40(FP), SI
	MOVQ b+48(FP), BX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	TESTQ CX, CX
	JLE   g4_store

g4_loop:
	VMOVUPS      (BX), Z16
	VMOVUPS      64(BX), Z17
	VBROADCASTSS (R8), Z18
	VBROADCASTSS (R9), Z19
	VBROADCASTSS (R10), Z20
	VBROADCASTSS (R11), Z21
	VFMADD231PS  Z16, Z18, Z0
	VFMADD231PS  Z17, Z18, Z1
	VFMADD231PS  Z16, Z19, Z2
	VFMADD231PS  Z17, Z19, Z3
	VFMADD231PS  Z16, Z20, Z4
	VFMADD231PS  Z17, Z20, Z5
	VFMADD231PS  Z16, Z21, Z6
	VFMADD231PS  Z17, Z21, Z7
	ADDQ         SI, R8
	ADDQ         SI, R9
	ADDQ         SI, R10
	ADDQ         SI, R11
	ADDQ         $128, BX
	DECQ         CX
	JNZ          g4_loop

g4_store:
	MOVL  mask+88(FP), AX
	KMOVW AX, K1
	SHRL  $16, AX
	KMOVW AX, K2
	MOVQ      c0+56(FP), DI
	VMOVUPS.Z (DI), K1, Z26
	VADDPS    Z26, Z0, Z0
	VMOVUPS   Z0, K1, (DI)
	VMOVUPS.Z 64(DI), K2, Z27
	VADDPS    Z27, Z1, Z1
	VMOVUPS   Z1, K2, 64(DI)
	MOVQ      c1+64(FP), DI
	VMOVUPS.Z (DI), K1, Z26
	VADDPS    Z26, Z2, Z2
	VMOVUPS   Z2, K1, (DI)
	VMOVUPS.Z 64(DI), K2, Z27
	VADDPS    Z27, Z3, Z3
	VMOVUPS   Z3, K2, 64(DI)
	MOVQ      c2+72(FP), DI
	VMOVUPS.Z (DI), K1, Z26
	VADDPS    Z26, Z4, Z4
	VMOVUPS   Z4, K1, (DI)
	VMOVUPS.Z 64(DI), K2, Z27
	VADDPS    Z27, Z5, Z5
	VMOVUPS   Z5, K2, 64(DI)
	MOVQ      c3+80(FP), DI
	VMOVUPS.Z (DI), K1, Z26
	VADDPS    Z26, Z6, Z6
	VMOVUPS   Z6, K1, (DI)
	VMOVUPS.Z 64(DI), K2, Z27
	VADDPS    Z27, Z7, Z7
	VMOVUPS   Z7, K2, 64(DI)
	VZEROUPPER
	RET

// func pack32AVX512(k int, b *float32, ldb int, dst *float32, mask uint32)
//
// Copies k rows of 32 columns of b (row stride ldb bytes) to dst, 32 values
// a row, contiguous; the columns whose mask bit is clear are written as
// zeros (and not read).
TEXT ·pack32AVX512(SB), NOSPLIT, $0-36
	MOVQ  k+0(FP), CX
	MOVQ  b+8(FP), SI
	MOVQ  ldb+16(FP), DX
	MOVQ  dst+24(FP), DI
	MOVL  mask+32(FP), AX
	KMOVW AX, K1
	SHRL  $16, AX
	KMOVW AX, K2
	TESTQ CX, CX
	JLE   p32_done

p32_loop:
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z1
	VMOVUPS   Z0, (DI)
	VMOVUPS   Z1, 64(DI)
	ADDQ      DX, SI
	ADDQ      $128, DI
	DECQ      CX
	JNZ       p32_loop

p32_done:
	VZEROUPPER
	RET

// func polyakAVX(n int, dst, src *float32, tau float32)
//
// dst[i] += tau * (src[i] - dst[i]), each operation rounded as Go rounds it
// (no FMA), for n a multiple of 8.
TEXT ·polyakAVX(SB), NOSPLIT, $0-28
	MOVQ         n+0(FP), CX
	MOVQ         dst+8(FP), DI
	MOVQ         src+16(FP), SI
	VBROADCASTSS tau+24(FP), Y15
	SHRQ         $3, CX
	JZ           polyak_done

polyak_loop:
	VMOVUPS (DI), Y0
	VMOVUPS (SI), Y1
	VSUBPS  Y0, Y1, Y1  // src - dst
	VMULPS  Y15, Y1, Y1 // tau * (src - dst)
	VADDPS  Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     polyak_loop

polyak_done:
	VZEROUPPER
	RET
