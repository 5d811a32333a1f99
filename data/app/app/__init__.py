"""hello-service: the tiny web service the workbook's pipelines build, test and deploy."""
