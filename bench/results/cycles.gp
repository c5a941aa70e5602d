set terminal pngcairo size 1120,900 font "sans,10"
set output 'bench/results/cycles.png'
set termoption noenhanced
set multiplot layout 2,2 columnsfirst title "AMD EPYC, 2 cores, 2596 MHz; full (7 repetitions, 2 s windows after 2 s warm-up); 2026-11-21 11:09 UTC; vf-zc 526c567-dirty; up to 7 repetitions each (median, min-max)"
set logscale x 2
set xtics rotate by -45 ("64" 64, "256" 256, "512" 512, "1024" 1024, "1518" 1518, "9000" 9000)
set xrange [49.2308:11700]
set yrange [0:*]
set grid ytics
set key top left
set xlabel "packet size (bytes)"
set title "VF to guest"
set ylabel "relay-core cycles per packet"
plot '-' using 1:2:3:4 with yerrorlines lw 2 title 'A: OVS dpdk + OpenFlow + vhost', '-' using 1:2:3:4 with yerrorlines lw 2 title 'B: vf-zc, copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'C: vf-zc, zero copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'D: testpmd net_null <-> net_vhost'
64 165.000 134.000 239.000
256 177.000 138.000 273.000
512 208.000 168.000 502.000
1024 175.000 165.000 334.000
1518 218.000 195.000 487.000
9000 798.000 482.000 1060.000
e
64 151.000 87.000 507.000
256 259.000 87.000 497.000
512 138.000 105.000 514.000
1024 116.000 108.000 398.000
1518 147.000 137.000 456.000
9000 405.000 310.000 665.000
e
64 105.000 76.000 179.000
256 162.000 72.000 192.000
512 95.000 68.000 209.000
1024 89.000 63.000 209.000
1518 81.000 67.000 172.000
9000 110.000 70.000 210.000
e
64 100.000 70.000 116.000
256 79.000 77.000 168.000
512 138.000 97.000 282.000
1024 129.000 101.000 295.000
1518 135.000 122.000 298.000
9000 399.000 341.000 622.000
e
set title "VF to guest"
set ylabel "million packets per second at the guest"
plot '-' using 1:2:3:4 with yerrorlines lw 2 title 'A: OVS dpdk + OpenFlow + vhost', '-' using 1:2:3:4 with yerrorlines lw 2 title 'B: vf-zc, copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'C: vf-zc, zero copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'D: testpmd net_null <-> net_vhost'
64 14.893 10.630 18.930
256 14.231 9.166 18.221
512 12.046 4.533 14.873
1024 14.506 7.187 15.111
1518 11.236 4.941 12.574
9000 2.610 1.952 4.783
e
64 15.924 4.472 28.972
256 8.696 4.515 29.171
512 18.141 4.319 23.500
1024 21.473 5.078 23.141
1518 16.807 4.913 18.240
9000 5.516 2.802 7.012
e
64 24.317 11.801 33.325
256 15.611 13.258 35.677
512 26.707 11.601 37.762
1024 28.949 11.811 37.838
1518 30.384 14.873 38.350
9000 23.147 11.719 35.972
e
64 23.518 19.921 32.999
256 29.757 13.045 31.225
512 16.009 7.766 23.591
1024 17.883 6.605 22.528
1518 16.017 6.951 18.529
9000 4.262 2.027 4.907
e
set title "guest to VF"
set ylabel "relay-core cycles per packet"
plot '-' using 1:2:3:4 with yerrorlines lw 2 title 'A: OVS dpdk + OpenFlow + vhost', '-' using 1:2:3:4 with yerrorlines lw 2 title 'B: vf-zc, copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'C: vf-zc, zero copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'D: testpmd net_null <-> net_vhost'
64 168.000 112.000 257.000
256 140.000 116.000 211.000
512 186.000 146.000 345.000
1024 201.000 177.000 215.000
1518 217.000 196.000 469.000
9000 624.000 554.000 709.000
e
64 98.000 68.000 196.000
256 87.000 64.000 191.000
512 97.000 69.000 189.000
1024 93.000 83.000 131.000
1518 134.000 118.000 234.000
9000 435.000 390.000 504.000
e
64 94.000 77.000 186.000
256 87.000 62.000 193.000
512 78.000 67.000 173.000
1024 95.000 87.000 199.000
1518 121.000 108.000 241.000
9000 432.000 393.000 492.000
e
64 94.000 74.000 143.000
256 80.000 64.000 181.000
512 112.000 86.000 286.000
1024 137.000 106.000 144.000
1518 171.000 137.000 448.000
9000 575.000 515.000 607.000
e
set title "guest to VF"
set ylabel "million packets per second at the guest"
plot '-' using 1:2:3:4 with yerrorlines lw 2 title 'A: OVS dpdk + OpenFlow + vhost', '-' using 1:2:3:4 with yerrorlines lw 2 title 'B: vf-zc, copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'C: vf-zc, zero copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'D: testpmd net_null <-> net_vhost'
64 15.414 8.825 22.545
256 18.254 8.211 22.026
512 13.894 7.467 17.626
1024 12.840 12.019 14.573
1518 11.835 5.476 13.136
9000 4.111 3.656 4.629
e
64 22.115 9.586 27.165
256 22.172 9.102 26.637
512 23.296 9.726 27.440
1024 24.338 19.449 27.380
1518 18.557 9.938 21.433
9000 5.907 5.137 6.637
e
64 20.209 9.741 26.510
256 22.028 9.578 27.993
512 21.727 9.800 27.464
1024 24.227 10.697 26.275
1518 20.340 7.661 23.815
9000 5.990 5.183 6.555
e
64 21.063 8.167 24.721
256 22.161 9.563 28.225
512 20.807 8.626 25.277
1024 18.450 17.743 23.753
1518 14.872 5.733 18.596
9000 4.504 4.265 5.022
e
unset multiplot
