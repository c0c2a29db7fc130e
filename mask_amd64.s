#include "textflag.h"

// func maskBlocks(b []byte, k64 uint64)
//
// XORs every whole 64-byte block of b with k64 repeated: 32 bytes at a
// time with AVX2 where the processor has it, 16 at a time with SSE2, which
// every amd64 processor has, where it does not.
TEXT ·maskBlocks(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), DI
	MOVQ b_len+8(FP), CX
	MOVQ k64+24(FP), AX
	MOVQ AX, X0
	PUNPCKLQDQ X0, X0
	SHRQ $6, CX
	JZ   done
	CMPB ·useAVX2(SB), $1
	JEQ  avx2

sse2:
	MOVOU 0(DI), X1
	MOVOU 16(DI), X2
	MOVOU 32(DI), X3
	MOVOU 48(DI), X4
	PXOR  X0, X1
	PXOR  X0, X2
	PXOR  X0, X3
	PXOR  X0, X4
	MOVOU X1, 0(DI)
	MOVOU X2, 16(DI)
	MOVOU X3, 32(DI)
	MOVOU X4, 48(DI)
	ADDQ  $64, DI
	DECQ  CX
	JNZ   sse2

done:
	RET

avx2:
	VPBROADCASTQ X0, Y0

avx2loop:
	VMOVDQU 0(DI), Y1
	VMOVDQU 32(DI), Y2
	VPXOR   Y0, Y1, Y1
	VPXOR   Y0, Y2, Y2
	VMOVDQU Y1, 0(DI)
	VMOVDQU Y2, 32(DI)
	ADDQ    $64, DI
	DECQ    CX
	JNZ     avx2loop
	VZEROUPPER
	RET

// func hasAVX2() bool
//
// Reports whether the processor has AVX2 and the system saves the YMM
// registers: CPUID leaf 1 (OSXSAVE, AVX), XGETBV (XCR0 SSE and AVX state),
// CPUID leaf 7 (AVX2).
TEXT ·hasAVX2(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	ANDL $0x18000000, CX
	CMPL CX, $0x18000000
	JNE  no
	XORL CX, CX
	XGETBV
	ANDL $6, AX
	CMPL AX, $6
	JNE  no
	MOVL $7, AX
	XORL CX, CX
	CPUID
	ANDL $0x20, BX
	JZ   no
	MOVB $1, ret+0(FP)
	RET

no:
	MOVB $0, ret+0(FP)
	RET
