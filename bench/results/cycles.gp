set terminal pngcairo size 1120,480 font "sans,10"
set output 'bench/results/cycles.png'
set termoption noenhanced
set multiplot layout 1,2
set logscale x 2
set xtics rotate by -45 ("64" 64, "256" 256, "512" 512, "1024" 1024, "1518" 1518, "9000" 9000)
set xrange [49.2308:11700]
set yrange [0:*]
set grid ytics
set key top left
set xlabel "packet size (bytes)"
set ylabel "relay-core cycles per packet (median, min-max)"
set title "VF to guest"
plot '-' using 1:2:3:4 with yerrorlines lw 2 title 'A: OVS dpdk + OpenFlow + vhost', '-' using 1:2:3:4 with yerrorlines lw 2 title 'B: vf-zc, copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'C: vf-zc, zero copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'D: testpmd net_null <-> net_vhost'
64 165.0 134.0 239.0
256 177.0 138.0 273.0
512 208.0 168.0 502.0
1024 175.0 165.0 334.0
1518 218.0 195.0 487.0
9000 798.0 482.0 1060.0
e
64 151.0 87.0 507.0
256 259.0 87.0 497.0
512 138.0 105.0 514.0
1024 116.0 108.0 398.0
1518 147.0 137.0 456.0
9000 405.0 310.0 665.0
e
64 105.0 76.0 179.0
256 162.0 72.0 192.0
512 95.0 68.0 209.0
1024 89.0 63.0 209.0
1518 81.0 67.0 172.0
9000 110.0 70.0 210.0
e
64 100.0 70.0 116.0
256 79.0 77.0 168.0
512 138.0 97.0 282.0
1024 129.0 101.0 295.0
1518 135.0 122.0 298.0
9000 399.0 341.0 622.0
e
set title "guest to VF"
plot '-' using 1:2:3:4 with yerrorlines lw 2 title 'A: OVS dpdk + OpenFlow + vhost', '-' using 1:2:3:4 with yerrorlines lw 2 title 'B: vf-zc, copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'C: vf-zc, zero copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'D: testpmd net_null <-> net_vhost'
64 168.0 112.0 257.0
256 140.0 116.0 211.0
512 186.0 146.0 345.0
1024 201.0 177.0 215.0
1518 217.0 196.0 469.0
9000 624.0 554.0 709.0
e
64 98.0 68.0 196.0
256 87.0 64.0 191.0
512 97.0 69.0 189.0
1024 93.0 83.0 131.0
1518 134.0 118.0 234.0
9000 435.0 390.0 504.0
e
64 94.0 77.0 186.0
256 87.0 62.0 193.0
512 78.0 67.0 173.0
1024 95.0 87.0 199.0
1518 121.0 108.0 241.0
9000 432.0 393.0 492.0
e
64 94.0 74.0 143.0
256 80.0 64.0 181.0
512 112.0 86.0 286.0
1024 137.0 106.0 144.0
1518 171.0 137.0 448.0
9000 575.0 515.0 607.0
e
unset multiplot
