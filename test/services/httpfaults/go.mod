module kafka-backup/test/services/httpfaults

go 1.21
