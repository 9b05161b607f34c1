//go:build !purego

#include "textflag.h"

// The constants of tanh32 (tanh.go) that tanhAVX2 reads from memory, eight
// copies each (a 256-bit operand), and the mask that clears the sign bit.
DATA tanhq<>+0(SB)/4, $1.19825839466702e-06
DATA tanhq<>+4(SB)/4, $1.19825839466702e-06
DATA tanhq<>+8(SB)/4, $1.19825839466702e-06
DATA tanhq<>+12(SB)/4, $1.19825839466702e-06
DATA tanhq<>+16(SB)/4, $1.19825839466702e-06
DATA tanhq<>+20(SB)/4, $1.19825839466702e-06
DATA tanhq<>+24(SB)/4, $1.19825839466702e-06
DATA tanhq<>+28(SB)/4, $1.19825839466702e-06
DATA tanhq<>+32(SB)/4, $1.18534705686654e-04
DATA tanhq<>+36(SB)/4, $1.18534705686654e-04
DATA tanhq<>+40(SB)/4, $1.18534705686654e-04
DATA tanhq<>+44(SB)/4, $1.18534705686654e-04
DATA tanhq<>+48(SB)/4, $1.18534705686654e-04
DATA tanhq<>+52(SB)/4, $1.18534705686654e-04
DATA tanhq<>+56(SB)/4, $1.18534705686654e-04
DATA tanhq<>+60(SB)/4, $1.18534705686654e-04
DATA tanhq<>+64(SB)/4, $2.26843463243900e-03
DATA tanhq<>+68(SB)/4, $2.26843463243900e-03
DATA tanhq<>+72(SB)/4, $2.26843463243900e-03
DATA tanhq<>+76(SB)/4, $2.26843463243900e-03
DATA tanhq<>+80(SB)/4, $2.26843463243900e-03
DATA tanhq<>+84(SB)/4, $2.26843463243900e-03
DATA tanhq<>+88(SB)/4, $2.26843463243900e-03
DATA tanhq<>+92(SB)/4, $2.26843463243900e-03
DATA tanhq<>+96(SB)/4, $4.89352518554385e-03
DATA tanhq<>+100(SB)/4, $4.89352518554385e-03
DATA tanhq<>+104(SB)/4, $4.89352518554385e-03
DATA tanhq<>+108(SB)/4, $4.89352518554385e-03
DATA tanhq<>+112(SB)/4, $4.89352518554385e-03
DATA tanhq<>+116(SB)/4, $4.89352518554385e-03
DATA tanhq<>+120(SB)/4, $4.89352518554385e-03
DATA tanhq<>+124(SB)/4, $4.89352518554385e-03
DATA tanhq<>+128(SB)/4, $0x7fffffff
DATA tanhq<>+132(SB)/4, $0x7fffffff
DATA tanhq<>+136(SB)/4, $0x7fffffff
DATA tanhq<>+140(SB)/4, $0x7fffffff
DATA tanhq<>+144(SB)/4, $0x7fffffff
DATA tanhq<>+148(SB)/4, $0x7fffffff
DATA tanhq<>+152(SB)/4, $0x7fffffff
DATA tanhq<>+156(SB)/4, $0x7fffffff
GLOBL tanhq<>(SB), RODATA|NOPTR, $160

// func tanhAVX2(n int, y *float32)
//
// y[i] = tanh32(y[i]) for n a multiple of 8, with FMA (so it may differ from
// tanh32 in the last bit or two). NaN stays NaN: MINPS and MAXPS return
// their second source when either is NaN, and x is always that one.
TEXT ·tanhAVX2(SB), NOSPLIT, $0-16
	MOVQ n+0(FP), CX
	MOVQ y+8(FP), DI
	SHRQ $3, CX
	JZ   tanh_done
	VBROADCASTSS clamp<>(SB), Y15
	VBROADCASTSS negclamp<>(SB), Y14
	VBROADCASTSS tiny<>(SB), Y13
	VBROADCASTSS a13<>(SB), Y11
	VBROADCASTSS a11<>(SB), Y10
	VBROADCASTSS a9<>(SB), Y9
	VBROADCASTSS a7<>(SB), Y8
	VBROADCASTSS a5<>(SB), Y7
	VBROADCASTSS a3<>(SB), Y6
	VBROADCASTSS a1<>(SB), Y5

tanh_loop:
	VMOVUPS     (DI), Y0
	VMINPS      Y0, Y15, Y1           // min(clamp, x)
	VMAXPS      Y1, Y14, Y1           // max(-clamp, ...): xc
	VMULPS      Y1, Y1, Y2            // x2
	VMOVAPS     Y11, Y3
	VFMADD213PS Y10, Y2, Y3           // p = a13*x2 + a11
	VFMADD213PS Y9, Y2, Y3
	VFMADD213PS Y8, Y2, Y3
	VFMADD213PS Y7, Y2, Y3
	VFMADD213PS Y6, Y2, Y3
	VFMADD213PS Y5, Y2, Y3
	VMULPS      Y1, Y3, Y3            // p *= xc
	VMOVUPS     tanhq<>+0(SB), Y12    // q = b6
	VFMADD213PS tanhq<>+32(SB), Y2, Y12
	VFMADD213PS tanhq<>+64(SB), Y2, Y12
	VFMADD213PS tanhq<>+96(SB), Y2, Y12
	VDIVPS      Y12, Y3, Y3           // p / q
	VANDPS      tanhq<>+128(SB), Y0, Y4
	VCMPPS      $1, Y13, Y4, Y4       // |x| < tiny
	VBLENDVPS   Y4, Y0, Y3, Y3        // tiny ? x : p/q
	VMOVUPS     Y3, (DI)
	ADDQ        $32, DI
	DECQ        CX
	JNZ         tanh_loop

tanh_done:
	VZEROUPPER
	RET

DATA clamp<>+0(SB)/4, $7.90531110763549805
GLOBL clamp<>(SB), RODATA|NOPTR, $4
DATA negclamp<>+0(SB)/4, $-7.90531110763549805
GLOBL negclamp<>(SB), RODATA|NOPTR, $4
DATA tiny<>+0(SB)/4, $0.0004
GLOBL tiny<>(SB), RODATA|NOPTR, $4
DATA a13<>+0(SB)/4, $-2.76076847742355e-16
GLOBL a13<>(SB), RODATA|NOPTR, $4
DATA a11<>+0(SB)/4, $2.00018790482477e-13
GLOBL a11<>(SB), RODATA|NOPTR, $4
DATA a9<>+0(SB)/4, $-8.60467152213735e-11
GLOBL a9<>(SB), RODATA|NOPTR, $4
DATA a7<>+0(SB)/4, $5.12229709037114e-08
GLOBL a7<>(SB), RODATA|NOPTR, $4
DATA a5<>+0(SB)/4, $1.48572235717979e-05
GLOBL a5<>(SB), RODATA|NOPTR, $4
DATA a3<>+0(SB)/4, $6.37261928875436e-04
GLOBL a3<>(SB), RODATA|NOPTR, $4
DATA a1<>+0(SB)/4, $4.89352455891786e-03
GLOBL a1<>(SB), RODATA|NOPTR, $4
