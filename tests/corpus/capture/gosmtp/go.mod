module capture/gosmtp

go 1.19
