set terminal pngcairo size 1120,480 font "sans,10"
set output '/work/main/bench/results/cycles.png'
set multiplot layout 1,2
set logscale x 2
set xtics ("64" 64, "256" 256, "512" 512, "1024" 1024, "1518" 1518, "9000" 9000)
set xrange [49.2308:11700]
set yrange [0:*]
set grid ytics
set key top left
set xlabel "packet size (bytes)"
set ylabel "relay-core cycles per packet (median, min-max)"
set title "VF to guest"
plot '-' using 1:2:3:4 with yerrorlines lw 2 title 'A: OVS dpdk + OpenFlow + vhost', '-' using 1:2:3:4 with yerrorlines lw 2 title 'B: vf-zc, copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'C: vf-zc, zero copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'D: testpmd net_null <-> net_vhost'
64 135.0 113.0 154.0
256 130.0 128.0 191.0
512 430.0 144.0 537.0
1024 173.0 161.0 379.0
1518 354.0 188.0 467.0
9000 473.0 456.0 946.0
e
64 107.0 83.0 342.0
256 86.0 83.0 270.0
512 301.0 111.0 382.0
1024 119.0 106.0 182.0
1518 407.0 130.0 431.0
9000 300.0 291.0 576.0
e
64 68.0 65.0 167.0
256 68.0 67.0 169.0
512 168.0 67.0 175.0
1024 70.0 67.0 80.0
1518 172.0 65.0 183.0
9000 66.0 64.0 176.0
e
64 68.0 65.0 90.0
256 75.0 74.0 78.0
512 106.0 98.0 243.0
1024 105.0 102.0 115.0
1518 146.0 121.0 245.0
9000 368.0 336.0 568.0
e
set title "guest to VF"
plot '-' using 1:2:3:4 with yerrorlines lw 2 title 'A: OVS dpdk + OpenFlow + vhost', '-' using 1:2:3:4 with yerrorlines lw 2 title 'B: vf-zc, copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'C: vf-zc, zero copy', '-' using 1:2:3:4 with yerrorlines lw 2 title 'D: testpmd net_null <-> net_vhost'
64 159.0 104.0 211.0
256 133.0 122.0 224.0
512 280.0 209.0 352.0
1024 196.0 167.0 348.0
1518 213.0 196.0 499.0
9000 772.0 579.0 996.0
e
64 68.0 58.0 165.0
256 72.0 62.0 119.0
512 148.0 135.0 199.0
1024 86.0 83.0 176.0
1518 119.0 114.0 234.0
9000 476.0 401.0 550.0
e
64 65.0 60.0 161.0
256 68.0 62.0 156.0
512 155.0 93.0 200.0
1024 89.0 82.0 197.0
1518 120.0 116.0 223.0
9000 456.0 413.0 489.0
e
64 61.0 54.0 126.0
256 67.0 64.0 161.0
512 238.0 80.0 302.0
1024 151.0 104.0 317.0
1518 138.0 133.0 426.0
9000 796.0 527.0 882.0
e
unset multiplot
