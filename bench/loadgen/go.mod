module autbot/bench/loadgen

go 1.22
