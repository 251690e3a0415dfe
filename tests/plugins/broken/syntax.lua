return { id = "syntax", run = function( end }
