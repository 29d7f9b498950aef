;; The letterbox resampler's inner loops (see ../letterbox-tensor.ts for the arithmetic and the memory
;; layout the caller sets up). Integer maths only, so every engine gives the same bytes:
;;   vertical:   mid[b] = sum_k wy[k] * src[row_k][b]          (u16 lanes; weights sum to 256, so <= 65280)
;;   horizontal: v = (32768 + sum_k wx[k] * mid[x_k * C + c]) >> 16   (a byte, 0..255)
;;   tensor:     out[c][y][x] = f32(v) / 255                   (correctly rounded, = Math.fround(v / 255))
;; Built into letterbox-wasm.ts by `pnpm --filter @shelfwatch/shared build:kernel` (wabt's wat2wasm).
(module
  (memory (export "memory") 1)

  ;; One output row, vertical pass: `n` source rows from `src`, `stride` bytes apart, weighted by the
  ;; i16x8 splats at `wv` (16 bytes per tap), into `len` u16 values at `mid`. Reads and writes up to 15
  ;; bytes past `len` (the caller leaves slack).
  (func (export "vertical") (param $src i32) (param $stride i32) (param $n i32) (param $wv i32)
    (param $mid i32) (param $len i32)
    (local $i i32) (local $p i32) (local $wp i32) (local $k i32) (local $v v128) (local $w v128)
    (local $lo v128) (local $hi v128) (local $m i32)
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $lo (v128.const i32x4 0 0 0 0))
        (local.set $hi (v128.const i32x4 0 0 0 0))
        (local.set $p (i32.add (local.get $src) (local.get $i)))
        (local.set $wp (local.get $wv))
        (local.set $k (local.get $n))
        (loop $tap
          (local.set $v (v128.load (local.get $p)))
          (local.set $w (v128.load (local.get $wp)))
          (local.set $lo (i16x8.add (local.get $lo)
            (i16x8.mul (i16x8.extend_low_i8x16_u (local.get $v)) (local.get $w))))
          (local.set $hi (i16x8.add (local.get $hi)
            (i16x8.mul (i16x8.extend_high_i8x16_u (local.get $v)) (local.get $w))))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br_if $tap (local.get $k)))
        (local.set $m (i32.add (local.get $mid) (i32.shl (local.get $i) (i32.const 1))))
        (v128.store (local.get $m) (local.get $lo))
        (v128.store offset=16 (local.get $m) (local.get $hi))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $row))))

  ;; As "vertical", for RGBA rows with straight alpha: each pixel is first composited over `pad` as a
  ;; browser canvas keeps it, round(c * a / 255) + round(pad * (255 - a) / 255), 8 channels per u16
  ;; vector. round(x / 255) for x <= 65025 is floor((x + 127) / 255) = (y + 1 + (y >> 8)) >> 8 with
  ;; y = x + 127 (exact for y < 65535). Written out inline: the engines do not all inline calls.
  (func (export "verticalOver") (param $src i32) (param $stride i32) (param $n i32) (param $wv i32)
    (param $mid i32) (param $len i32) (param $padValue i32)
    (local $i i32) (local $p i32) (local $wp i32) (local $k i32) (local $v v128) (local $w v128)
    (local $a v128) (local $lo v128) (local $hi v128) (local $m i32) (local $pad v128)
    (local $c v128) (local $al v128) (local $y v128) (local $k1 v128) (local $k127 v128) (local $k255 v128)
    (local.set $pad (i16x8.splat (local.get $padValue)))
    (local.set $k1 (i16x8.splat (i32.const 1)))
    (local.set $k127 (i16x8.splat (i32.const 127)))
    (local.set $k255 (i16x8.splat (i32.const 255)))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $lo (v128.const i32x4 0 0 0 0))
        (local.set $hi (v128.const i32x4 0 0 0 0))
        (local.set $p (i32.add (local.get $src) (local.get $i)))
        (local.set $wp (local.get $wv))
        (local.set $k (local.get $n))
        (loop $tap
          (local.set $v (v128.load (local.get $p)))
          (local.set $a (i8x16.swizzle (local.get $v)
            (v128.const i8x16 3 3 3 3 7 7 7 7 11 11 11 11 15 15 15 15)))
          (local.set $w (v128.load (local.get $wp)))
          (local.set $c (i16x8.extend_low_i8x16_u (local.get $v)))
          (local.set $al (i16x8.extend_low_i8x16_u (local.get $a)))
          (local.set $y (i16x8.add (i16x8.mul (local.get $c) (local.get $al)) (local.get $k127)))
          (local.set $c (i16x8.shr_u (i16x8.add (i16x8.add (local.get $y) (local.get $k1))
            (i16x8.shr_u (local.get $y) (i32.const 8))) (i32.const 8)))
          (local.set $y (i16x8.add (i16x8.mul (local.get $pad) (i16x8.sub (local.get $k255) (local.get $al)))
            (local.get $k127)))
          (local.set $c (i16x8.add (local.get $c) (i16x8.shr_u (i16x8.add (i16x8.add (local.get $y) (local.get $k1))
            (i16x8.shr_u (local.get $y) (i32.const 8))) (i32.const 8))))
          (local.set $lo (i16x8.add (local.get $lo) (i16x8.mul (local.get $c) (local.get $w))))
          (local.set $c (i16x8.extend_high_i8x16_u (local.get $v)))
          (local.set $al (i16x8.extend_high_i8x16_u (local.get $a)))
          (local.set $y (i16x8.add (i16x8.mul (local.get $c) (local.get $al)) (local.get $k127)))
          (local.set $c (i16x8.shr_u (i16x8.add (i16x8.add (local.get $y) (local.get $k1))
            (i16x8.shr_u (local.get $y) (i32.const 8))) (i32.const 8)))
          (local.set $y (i16x8.add (i16x8.mul (local.get $pad) (i16x8.sub (local.get $k255) (local.get $al)))
            (local.get $k127)))
          (local.set $c (i16x8.add (local.get $c) (i16x8.shr_u (i16x8.add (i16x8.add (local.get $y) (local.get $k1))
            (i16x8.shr_u (local.get $y) (i32.const 8))) (i32.const 8))))
          (local.set $hi (i16x8.add (local.get $hi) (i16x8.mul (local.get $c) (local.get $w))))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br_if $tap (local.get $k)))
        (local.set $m (i32.add (local.get $mid) (i32.shl (local.get $i) (i32.const 1))))
        (v128.store (local.get $m) (local.get $lo))
        (v128.store offset=16 (local.get $m) (local.get $hi))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $row))))

  ;; One output row, horizontal pass fused with the tensor layout: `nw` output pixels; pixel x reads
  ;; xn[x] taps from u16 pixel xs[x] of `mid` (`c2` = 2 * channels bytes per pixel), weights at
  ;; `xw + x * xwStride`; writes R, G, B as f32 at `out + 4x`, `+ plane4`, `+ 2 * plane4`. Reads one
  ;; u16 past the last pixel when there are 3 channels.
  (func (export "horizontal") (param $mid i32) (param $c2 i32) (param $nw i32) (param $xs i32)
    (param $xn i32) (param $xw i32) (param $xwStride i32) (param $out i32) (param $plane4 i32)
    (local $x i32) (local $p i32) (local $wp i32) (local $k i32) (local $acc v128) (local $f v128)
    (local $o i32)
    (block $done
      (loop $col
        (br_if $done (i32.ge_u (local.get $x) (local.get $nw)))
        (local.set $acc (v128.const i32x4 32768 32768 32768 32768))
        (local.set $p (i32.add (local.get $mid) (i32.mul (i32.load (local.get $xs)) (local.get $c2))))
        (local.set $wp (local.get $xw))
        (local.set $k (i32.load (local.get $xn)))
        (loop $tap
          (local.set $acc (i32x4.add (local.get $acc)
            (i32x4.mul (v128.load16x4_u (local.get $p)) (i32x4.splat (i32.load (local.get $wp))))))
          (local.set $p (i32.add (local.get $p) (local.get $c2)))
          (local.set $wp (i32.add (local.get $wp) (i32.const 4)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br_if $tap (local.get $k)))
        (local.set $f (f32x4.div (f32x4.convert_i32x4_u (i32x4.shr_u (local.get $acc) (i32.const 16)))
          (v128.const f32x4 255 255 255 255)))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $x) (i32.const 2))))
        (f32.store (local.get $o) (f32x4.extract_lane 0 (local.get $f)))
        (local.set $o (i32.add (local.get $o) (local.get $plane4)))
        (f32.store (local.get $o) (f32x4.extract_lane 1 (local.get $f)))
        (local.set $o (i32.add (local.get $o) (local.get $plane4)))
        (f32.store (local.get $o) (f32x4.extract_lane 2 (local.get $f)))
        (local.set $xs (i32.add (local.get $xs) (i32.const 4)))
        (local.set $xn (i32.add (local.get $xn) (i32.const 4)))
        (local.set $xw (i32.add (local.get $xw) (local.get $xwStride)))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $col))))
)
