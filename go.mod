module wschat

go 1.26.8
