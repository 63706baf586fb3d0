module kiln.test/go

go 1.19
